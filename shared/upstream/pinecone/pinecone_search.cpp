#include "upstream/pinecone/pinecone_search.h"

#include <charconv>
#include <cmath>

#include "core/json.h"
#include "salient/core/json_write.h"

namespace salient {
namespace {

using detail::json;

void append_float(std::string& out, float f) {
  if (!std::isfinite(f)) f = 0;  // JSON has no NaN; an embedding never holds one, but never emit invalid JSON
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
  out.append(buf, ec == std::errc() ? end : buf);
}

std::string text_of(const json& fields, std::string_view key) {
  auto v = detail::string_member(fields, key);
  return v ? std::string(*v) : std::string();
}

}  // namespace

source passage_from_fields(const json& fields, std::string_view text_field) {
  source s;
  s.text = text_of(fields, text_field);
  s.title = text_of(fields, "title");
  s.heading = text_of(fields, "heading");
  s.url = text_of(fields, "url");
  s.path = text_of(fields, "source");
  return s;
}

outbound_request query_request(const pinecone_endpoint& ep, std::string_view host, const std::vector<float>& vector) {
  outbound_request out;
  out.method = "POST";
  out.url = std::string(host) + "/query";
  out.headers = pinecone_headers(ep);
  out.timeout_ms = ep.timeout_ms;
  // Written by hand: ~1,500 floats, each shortest-form (a DOM would widen them to doubles).
  std::string& b = out.body;
  b.reserve(vector.size() * 12 + 128);
  b += "{\"namespace\":";
  append_json_string(b, ep.ns);
  b += ",\"vector\":[";
  for (std::size_t i = 0; i < vector.size(); ++i) {
    if (i) b += ',';
    append_float(b, vector[i]);
  }
  b += "],\"topK\":" + std::to_string(ep.top_k) + ",\"includeMetadata\":true,\"includeValues\":false}";
  return out;
}

outbound_request search_request(const pinecone_endpoint& ep, std::string_view host, std::string_view question) {
  outbound_request out;
  out.method = "POST";
  out.url = std::string(host) + "/records/namespaces/" + percent_encode(ep.ns) + "/search";
  out.headers = pinecone_headers(ep);
  out.timeout_ms = ep.timeout_ms;
  out.body = detail::dump(json{{"query", {{"inputs", {{"text", question}}}, {"top_k", ep.top_k}}},
                               {"fields", json::array({ep.text_field, "title", "heading", "url", "source"})}});
  return out;
}

result<std::vector<source>> parse_passages(const pinecone_endpoint& ep, const fetch_result& r) {
  auto doc = detail::parse_json(r.body);
  if (!doc || !doc->is_object()) return make_error(errc::upstream, "Pinecone's answer is not JSON");
  // /query: {matches:[{id, score, metadata}]}; records search: {result:{hits:[{_id, _score, fields}]}}.
  const json* list = detail::member(*doc, "matches");
  bool hits = false;
  if (!list) {
    const json* res = detail::member(*doc, "result");
    list = res ? detail::member(*res, "hits") : nullptr;
    hits = true;
  }
  if (!list || !list->is_array()) return make_error(errc::upstream, "Pinecone's answer has no matches");
  std::vector<source> out;
  for (const json& m : *list) {
    if (!m.is_object()) continue;
    const json* fields = detail::member(m, hits ? "fields" : "metadata");
    if (!fields || !fields->is_object()) continue;
    source s = passage_from_fields(*fields, ep.text_field);
    if (s.text.empty()) continue;
    s.score = static_cast<float>(detail::number_member(m, hits ? "_score" : "score").value_or(0));
    out.push_back(std::move(s));
    if (out.size() == static_cast<std::size_t>(ep.top_k)) break;
  }
  for (std::size_t i = 0; i < out.size(); ++i) out[i].n = out[i].rank = static_cast<int>(i + 1);
  return out;
}

}  // namespace salient
