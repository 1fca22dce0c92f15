#include "upstream/pinecone/pinecone_search.h"

#include <charconv>
#include <cmath>

#include "salient/core/detail/json.h"
#include "salient/core/json_write.h"
#include "salient/upstream/openrouter/llm_client.h"

namespace salient {
namespace {

using detail::json;

std::string without_trailing_slash(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

/// An env URL, or `fallback` when unset; an error naming the variable when it is not http(s).
result<std::string> env_url(const environment& env, std::string_view name, std::string_view fallback) {
  std::string_view v = env.get(name);
  if (v.empty()) v = fallback;
  if (v.empty()) return std::string();
  if (!is_http_url(v)) return make_error(errc::misconfigured, std::string(name) + " must start with http:// or https://");
  return without_trailing_slash(v);
}

header_list pinecone_headers(const pinecone_endpoint& ep) {
  return {{"api-key", ep.key}, {"content-type", "application/json"}, {"x-pinecone-api-version", std::string(pinecone_api_version)}};
}

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

result<std::optional<pinecone_endpoint>> pinecone_endpoint_from(const config& cfg, const environment& env,
                                                                 std::string_view tenant, std::string_view agent) {
  auto host = env_url(env, "PINECONE_INDEX_HOST", cfg.vector.pinecone_host);
  if (!host) return host.err();
  if (cfg.vector.pinecone_index_name.empty() && host->empty()) return std::optional<pinecone_endpoint>();
  std::string_view key = env.get("PINECONE_API_KEY");
  if (key.empty()) return std::optional<pinecone_endpoint>();

  pinecone_endpoint ep;
  ep.key = std::string(key);
  ep.index_name = cfg.vector.pinecone_index_name;
  ep.host = std::move(*host);
  auto api = env_url(env, "PINECONE_API_URL", default_pinecone_api_url);
  if (!api) return api.err();
  ep.api_url = std::move(*api);
  ep.ns = pinecone_namespace(tenant, agent, cfg.vector.pinecone_namespace_per_agent);
  ep.integrated = cfg.vector.pinecone_integrated;
  ep.text_field = cfg.vector.pinecone_text_field;
  ep.embed_provider = cfg.embeddings.provider;
  ep.embed_model = cfg.embeddings.model;
  ep.dimensions = cfg.embeddings.dimensions;
  ep.top_k = cfg.rag.top_k;
  ep.timeout_ms = cfg.rag.timeout_ms;
  if (!ep.integrated) {
    if (ep.embed_provider == "pinecone") {
      ep.embed_url = ep.api_url + "/embed";
      ep.embed_key = ep.key;
    } else {
      std::string_view openai_key = env.get("OPENAI_API_KEY");
      if (openai_key.empty())
        return make_error(errc::misconfigured,
                          "OPENAI_API_KEY must be set for Pinecone retrieval with embeddings.provider openai");
      auto base = env_url(env, "OPENAI_BASE_URL", default_openai_base_url);
      if (!base) return base.err();
      ep.embed_url = *base + "/embeddings";
      ep.embed_key = std::string(openai_key);
    }
  }
  return std::optional<pinecone_endpoint>(std::move(ep));
}

outbound_request describe_index_request(const pinecone_endpoint& ep) {
  outbound_request out;
  out.method = "GET";
  out.url = ep.api_url + "/indexes/" + percent_encode(ep.index_name);
  out.headers = pinecone_headers(ep);
  out.timeout_ms = ep.timeout_ms;
  return out;
}

result<std::string> parse_index_host(const fetch_result& r) {
  auto doc = detail::parse_json(r.body);
  auto host = doc ? detail::string_member(*doc, "host") : std::nullopt;
  if (host && is_http_url(*host)) return without_trailing_slash(*host);
  if (!host || host->empty() || host->find_first_of(" /?#@\\") != std::string_view::npos)
    return make_error(errc::upstream, "Pinecone's index description has no usable host");
  return "https://" + std::string(*host);
}

outbound_request embed_query_request(const pinecone_endpoint& ep, std::string_view question) {
  outbound_request out;
  out.method = "POST";
  out.url = ep.embed_url;
  out.timeout_ms = ep.timeout_ms;
  if (ep.embed_provider == "pinecone") {
    out.headers = pinecone_headers(ep);
    json params{{"input_type", "query"}, {"truncate", "END"}};
    if (ep.dimensions > 0) params["dimension"] = ep.dimensions;
    out.body = detail::dump(json{{"model", ep.embed_model},
                                 {"parameters", std::move(params)},
                                 {"inputs", json::array({json{{"text", question}}})}});
  } else {
    out.headers = {{"authorization", "Bearer " + ep.embed_key}, {"content-type", "application/json"}};
    json body{{"model", ep.embed_model}, {"input", question}, {"encoding_format", "float"}};
    if (ep.dimensions > 0) body["dimensions"] = ep.dimensions;
    out.body = detail::dump(body);
  }
  return out;
}

result<std::vector<float>> parse_query_embedding(const pinecone_endpoint& ep, const fetch_result& r) {
  auto doc = detail::parse_json(r.body);
  const json* data = doc ? detail::member(*doc, "data") : nullptr;
  const json* first = data && data->is_array() && !data->empty() ? &(*data)[0] : nullptr;
  const json* values = first && first->is_object()
                           ? detail::member(*first, ep.embed_provider == "pinecone" ? "values" : "embedding")
                           : nullptr;
  if (!values || !values->is_array() || values->empty())
    return make_error(errc::upstream, "the embeddings answer has no vector");
  std::vector<float> out;
  out.reserve(values->size());
  for (const json& v : *values) {
    if (!v.is_number()) return make_error(errc::upstream, "the embeddings answer has a vector that is not numbers");
    out.push_back(v.get<float>());
  }
  if (ep.dimensions > 0 && out.size() != static_cast<std::size_t>(ep.dimensions))
    return make_error(errc::upstream, "the embeddings answer has " + std::to_string(out.size()) +
                                          " dimensions, not embeddings.dimensions " + std::to_string(ep.dimensions));
  return out;
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

std::optional<upstream_trouble> trouble_of(const fetch_result& r) {
  llm_failure f;
  if (r.failure) f = classify_effect_failure(*r.failure);
  else if (r.head.status < 200 || r.head.status >= 300) f = classify_status(r.head, r.body);
  else return std::nullopt;
  return upstream_trouble{std::move(f.reason), f.retryable, f.retry_after_ms};
}

}  // namespace salient
