#include "upstream/pinecone/pinecone_endpoint.h"

#include <algorithm>

#include "core/json.h"
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

}  // namespace

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

header_list pinecone_headers(const pinecone_endpoint& ep) {
  return {{"api-key", ep.key}, {"content-type", "application/json"}, {"x-pinecone-api-version", std::string(pinecone_api_version)}};
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

std::optional<upstream_trouble> trouble_of(const fetch_result& r) {
  llm_failure f;
  if (r.failure) f = classify_effect_failure(*r.failure);
  else if (r.head.status < 200 || r.head.status >= 300) f = classify_status(r.head, r.body);
  else return std::nullopt;
  return upstream_trouble{std::move(f.reason), f.retryable, f.retry_after_ms};
}

std::string upstream_error_message(std::string_view body) {
  if (auto doc = detail::parse_json(body); doc && doc->is_object()) {
    if (const json* e = detail::member(*doc, "error")) {
      if (auto m = detail::string_member(*e, "message")) return std::string(*m);
      if (e->is_string()) return e->get<std::string>();
    }
    if (auto m = detail::string_member(*doc, "message")) return std::string(*m);
  }
  constexpr std::size_t longest = 300;
  std::size_t cut = std::min(body.size(), longest);
  // Back to a character boundary, so the message stays UTF-8 when the body was.
  while (cut < body.size() && cut > 0 && (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80) --cut;
  std::string text(body.substr(0, cut));
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  if (body.size() > cut) text += "\xE2\x80\xA6";  // …
  return text.empty() ? "(empty body)" : text;
}

}  // namespace salient
