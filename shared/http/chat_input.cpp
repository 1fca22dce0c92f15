#include "http/chat_input.h"

#include "http/cors.h"
#include "core/json.h"

namespace salient::chat_input {

bool is_key(std::string_view s) {
  if (s.size() < 8 || s.size() > 128) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

namespace {

/// PostgreSQL's text cannot hold a NUL byte: a value with one (a form's %00, JSON's \u0000)
/// would be refused by the store after the request was accepted, and the visitor's text lost.
result<form_fields> refuse_nul(result<form_fields> fields) {
  if (!fields) return fields;
  for (const auto& [name, value] : *fields)
    if (value.find('\0') != std::string::npos)
      return make_error(errc::bad_request, "the " + name + " field contains a NUL character, which text cannot hold",
                        "/" + name);
  return fields;
}

result<form_fields> read_fields(const request& req, std::initializer_list<std::string_view> list_fields) {
  std::string type = media_type(req.header("content-type"));
  if (type == "application/x-www-form-urlencoded") return parse_form(req.body);
  if (type != "application/json")
    return make_error(errc::unsupported_media_type, "send application/x-www-form-urlencoded or application/json");
  auto doc = detail::parse_json(req.body);
  if (!doc || !doc->is_object()) return make_error(errc::bad_request, "the body is not a JSON object");
  form_fields out;
  for (const auto& [name, value] : doc->items()) {
    if (value.is_null()) continue;
    if (value.is_string()) {
      out.emplace_back(name, value.get<std::string>());
      continue;
    }
    bool list = false;
    for (std::string_view f : list_fields) list = list || f == name;
    if (list && value.is_array()) {
      std::string joined;
      for (const auto& item : value) {
        if (!item.is_string()) return make_error(errc::bad_request, name + " must be an array of strings", "/" + name);
        if (!joined.empty()) joined += ',';
        joined += item.get<std::string>();
      }
      out.emplace_back(name, std::move(joined));
      continue;
    }
    return make_error(errc::bad_request, name + " must be a string", "/" + name);
  }
  return out;
}

}  // namespace

result<form_fields> read_body_fields(const request& req, std::initializer_list<std::string_view> list_fields) {
  return refuse_nul(read_fields(req, list_fields));
}

bool origin_allowed(const request& req, const config& cfg) {
  std::string_view origin = req.header("origin");
  std::string_view fetch_site = req.header("sec-fetch-site");
  // No Origin: not a browser's cross-site POST (browsers send one), unless the browser says so.
  if (origin.empty()) return fetch_site != "cross-site";
  // "null" is what a sandboxed iframe, a data: URL or a file page sends, all of which a forging
  // page can use; it passes only when the browser itself vouches that the request is the site's
  // own (a form on a page with a no-referrer policy sends "null" too).
  if (origin == "null") return fetch_site == "same-origin";
  std::size_t scheme_end = origin.find("://");
  std::string_view origin_host = scheme_end == std::string_view::npos ? origin : origin.substr(scheme_end + 3);
  if (!req.header("host").empty() && origin_host == req.header("host")) return true;
  return !allowed_cross_origin(req, cfg).empty();  // an embedding site in app.allowed_origins
}

std::optional<error> check_post(const request& req, const config& cfg) {
  if (req.body_truncated)
    return make_error(errc::payload_too_large,
                      "the request body is too large (at most " + std::to_string(cfg.limits.max_body_bytes) + " bytes)");
  if (!origin_allowed(req, cfg)) return make_error(errc::forbidden, "cross-site requests are not allowed from this origin");
  return std::nullopt;
}

const origin_exemption* origin_exemption_for(const request& req) {
  for (const origin_exemption& e : origin_exemptions)
    if (req.method == e.method && req.path == e.path) return &e;
  return nullptr;
}

std::optional<error> check_origin_gate(const request& req, const config& cfg) {
  if (req.scheduled || req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS") return std::nullopt;
  if (origin_exemption_for(req) || origin_allowed(req, cfg)) return std::nullopt;
  return make_error(errc::forbidden, "cross-site requests are not allowed from this origin");
}

}  // namespace salient::chat_input
