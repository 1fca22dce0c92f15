#pragma once
// Where Pinecone and the embeddings API are, and how to talk to them: the endpoint (keys, URLs,
// namespace) from the configuration and the environment, the index host lookup, and what a
// failed answer means. Shared by retrieval (pinecone_search.h), the embeddings calls
// (embeddings.h) and the upload of `salient ingest --pinecone` (pinecone_upsert.h).
// Wire formats: docs/UPSTREAMS.md (Pinecone, OpenAI embeddings).
//
// The index host is configured (PINECONE_INDEX_HOST, vector.pinecone.host) or looked up by name
// (GET {PINECONE_API_URL}/indexes/{name}). The namespace is the tenant, or "tenant:agent" with
// vector.pinecone.namespace_per_agent: one tenant's question never reaches another tenant's
// passages.
#include <optional>
#include <string>
#include <string_view>

#include "salient/config/config.h"
#include "salient/core/environment.h"
#include "salient/core/exchange.h"
#include "salient/core/http.h"
#include "salient/core/result.h"
#include "salient/upstream/pinecone/pinecone.h"

namespace salient {

struct pinecone_endpoint {
  std::string key;          ///< PINECONE_API_KEY
  std::string index_name;   ///< for the host lookup
  std::string host;         ///< the index's URL without a trailing slash; empty = look it up
  std::string api_url;      ///< PINECONE_API_URL: control plane (lookup) and inference (/embed)
  std::string ns;           ///< the namespace searched or written
  bool integrated = false;  ///< the index embeds text itself; no embeddings call
  std::string text_field;
  std::string embed_provider;  ///< openai | pinecone
  std::string embed_url;       ///< the full embeddings URL
  std::string embed_key;       ///< OPENAI_API_KEY, or the Pinecone key for /embed
  std::string embed_model;
  int dimensions = 0;          ///< 0 = the model's own
  int top_k = 4;
  int timeout_ms = 3000;       ///< every request built for this endpoint carries it
};

/// nullopt when Pinecone is not in use: no index name or host, or no PINECONE_API_KEY (the local
/// index answers). An error (misconfigured) when it is configured but cannot work: an env URL
/// that is not http(s), or openai embeddings without OPENAI_API_KEY.
result<std::optional<pinecone_endpoint>> pinecone_endpoint_from(const config& cfg, const environment& env,
                                                                 std::string_view tenant, std::string_view agent);

/// The headers of every Pinecone call: the key, JSON, the API version.
header_list pinecone_headers(const pinecone_endpoint& ep);

/// GET {api_url}/indexes/{name} → the index's host. Pinecone answers a bare host name; an
/// https:// is put in front of one without a scheme.
outbound_request describe_index_request(const pinecone_endpoint& ep);
result<std::string> parse_index_host(const fetch_result& r);

/// Why a call failed and whether trying again may help (408, 429, 5xx, connect, timeout), with
/// Retry-After when the upstream sent one. nullopt for a 2xx answer.
struct upstream_trouble {
  std::string reason;  ///< for logs: "status 429: Too many requests", "timeout"
  bool retryable = false;
  int retry_after_ms = -1;
};
std::optional<upstream_trouble> trouble_of(const fetch_result& r);

/// The upstream's own words in a failed answer: Pinecone's data plane `{code, message}`, its
/// control plane `{error:{code, message}}`, OpenAI's `{error:{message}}` (or `{error:"…"}`);
/// else the body itself on one line, cut after 300 bytes; "(empty body)" when there is none.
std::string upstream_error_message(std::string_view body);

}  // namespace salient
