#include "salient/core/envelope.h"

#include <algorithm>

#include "core/json.h"

namespace salient {
namespace {

using detail::json;

result<header_list> parse_headers(const json& doc, const char* path) {
  header_list out;
  const json* arr = detail::member(doc, "headers");
  if (!arr) return out;
  if (!arr->is_array()) return make_error(errc::bad_request, "headers must be an array of [name, value] pairs", path);
  for (const json& pair : *arr) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string())
      return make_error(errc::bad_request, "each header must be a [name, value] pair of strings", path);
    std::string name = pair[0].get<std::string>();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
    out.push_back({std::move(name), pair[1].get<std::string>()});
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

json headers_to_json(const header_list& headers) {
  json arr = json::array();
  for (const auto& h : headers) arr.push_back(json::array({h.name, h.value}));
  return arr;
}

}  // namespace

result<request> parse_request_head(std::string_view head_json, std::string_view body) {
  auto doc = detail::parse_json(head_json);
  if (!doc || !doc->is_object()) return make_error(errc::bad_request, "request head is not a JSON object");
  request req;
  auto method = detail::string_member(*doc, "method");
  auto url = detail::string_member(*doc, "url");
  if (!method || method->empty()) return make_error(errc::bad_request, "request head lacks a method", "/method");
  if (!url || url->empty() || url->front() != '/')
    return make_error(errc::bad_request, "request head url must be a path starting with '/'", "/url");
  req.method = std::string(*method);
  req.target = std::string(*url);
  std::size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  auto headers = parse_headers(*doc, "/headers");
  if (!headers) return headers.err();
  req.headers = std::move(*headers);
  req.now_ms = detail::int_member(*doc, "now_ms").value_or(0);
  if (req.now_ms <= 0) return make_error(errc::bad_request, "request head lacks now_ms", "/now_ms");
  req.request_id = std::string(detail::string_member(*doc, "request_id").value_or(""));
  req.client_ip = std::string(detail::string_member(*doc, "client_ip").value_or(""));
  if (req.client_ip.size() > 64) return make_error(errc::bad_request, "client_ip is too long", "/client_ip");
  req.body_truncated = detail::bool_member(*doc, "body_truncated").value_or(false);
  req.scheduled = detail::bool_member(*doc, "scheduled").value_or(false);
  req.log_flush = detail::bool_member(*doc, "log_flush").value_or(false);
  if (auto it = doc->find("instance_metrics"); it != doc->end()) {
    if (!it->is_object()) return make_error(errc::bad_request, "instance_metrics must be an object", "/instance_metrics");
    req.instance_metrics_json = detail::dump(*it);
  }
  if (auto entropy = detail::string_member(*doc, "entropy")) {
    if (entropy->size() != 64) return make_error(errc::bad_request, "entropy must be 64 hex digits", "/entropy");
    for (std::size_t i = 0; i < 64; i += 2) {
      int hi = hex_value((*entropy)[i]), lo = hex_value((*entropy)[i + 1]);
      if (hi < 0 || lo < 0) return make_error(errc::bad_request, "entropy must be 64 hex digits", "/entropy");
      req.entropy_seed.push_back(static_cast<char>(hi * 16 + lo));
    }
  }
  req.body = std::string(body);
  return req;
}

result<response_head> parse_response_head(std::string_view text) {
  auto doc = detail::parse_json(text);
  if (!doc || !doc->is_object()) return make_error(errc::bad_request, "response head is not a JSON object");
  response_head head;
  auto status = detail::int_member(*doc, "status");
  if (!status || *status < 100 || *status > 599)
    return make_error(errc::bad_request, "response head status must be 100-599", "/status");
  head.status = static_cast<int>(*status);
  auto headers = parse_headers(*doc, "/headers");
  if (!headers) return headers.err();
  head.headers = std::move(*headers);
  head.at_ms = detail::int_member(*doc, "at_ms").value_or(0);
  return head;
}

result<effect_failure> parse_effect_failure(std::string_view text) {
  auto doc = detail::parse_json(text);
  if (!doc || !doc->is_object()) return make_error(errc::bad_request, "effect failure is not a JSON object");
  effect_failure f;
  std::string_view kind = detail::string_member(*doc, "kind").value_or("network");
  if (kind == "timeout") f.kind = effect_failure_kind::timeout;
  else if (kind == "connect") f.kind = effect_failure_kind::connect;
  else if (kind == "aborted") f.kind = effect_failure_kind::aborted;
  else f.kind = effect_failure_kind::network;
  f.message = std::string(detail::string_member(*doc, "message").value_or(""));
  return f;
}

std::string effect_step_bytes(std::uint32_t id, const outbound_request& req) {
  json doc = {{"id", id}, {"method", req.method}, {"url", req.url}, {"headers", headers_to_json(req.headers)}};
  doc["timeout_ms"] = req.timeout_ms;
  if (req.stream) doc["stream"] = true;
  if (req.delay_ms > 0) doc["delay_ms"] = req.delay_ms;
  std::string out = detail::dump(doc);  // one line: a JSON text's strings hold no raw newline
  out.reserve(out.size() + 1 + req.body.size());
  out += '\n';
  out += req.body;
  return out;
}

effect_step_parts split_effect_step(std::string_view bytes) {
  std::size_t nl = bytes.find('\n');
  if (nl == std::string_view::npos) return {bytes, {}};
  return {bytes.substr(0, nl), bytes.substr(nl + 1)};
}

std::string response_head_to_json(const response_head& head) {
  return detail::dump(json{{"status", head.status}, {"headers", headers_to_json(head.headers)}});
}

const char* effect_failure_kind_name(effect_failure_kind kind) {
  switch (kind) {
    case effect_failure_kind::timeout: return "timeout";
    case effect_failure_kind::connect: return "connect";
    case effect_failure_kind::aborted: return "aborted";
    case effect_failure_kind::network: return "network";
  }
  return "network";
}

}  // namespace salient
