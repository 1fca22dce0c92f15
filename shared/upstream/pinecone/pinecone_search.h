#pragma once
// Retrieval from Pinecone, sans-IO: the requests and what their answers mean.
// Wire formats: docs/UPSTREAMS.md (Pinecone, OpenAI embeddings).
//
//   question ──embed──▶ vector ──POST {host}/query──▶ matches      (embeddings.provider openai
//                                                                   or pinecone's /embed)
//   question ──POST {host}/records/namespaces/{ns}/search──▶ hits  (vector.pinecone.integrated)
//
// The index host is configured (PINECONE_INDEX_HOST, vector.pinecone.host) or looked up by name
// (GET {PINECONE_API_URL}/indexes/{name}) and remembered by the instance. The namespace is the
// tenant, or "tenant:agent" with vector.pinecone.namespace_per_agent: one tenant's question never
// reaches another tenant's passages. Passages are records written by `salient ingest --pinecone`
// (docs/KNOWLEDGE.md): metadata {<text_field>, title, heading, url, source}.
//
// The flow side (pinecone_retrieval.h) runs these with one retry and stores the outcome with the
// turn, so that the stream function answers from it.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "salient/config/config.h"
#include "salient/core/exchange.h"
#include "salient/core/http.h"
#include "salient/core/environment.h"
#include "salient/upstream/pinecone/pinecone.h"
#include "salient/core/result.h"

#include "knowledge/sources.h"

namespace salient {

struct pinecone_endpoint {
  std::string key;          ///< PINECONE_API_KEY
  std::string index_name;   ///< for the host lookup
  std::string host;         ///< the index's URL without a trailing slash; empty = look it up
  std::string api_url;      ///< PINECONE_API_URL: control plane (lookup) and inference (/embed)
  std::string ns;           ///< the namespace searched
  bool integrated = false;  ///< search by text; no embeddings call
  std::string text_field;
  std::string embed_provider;  ///< openai | pinecone
  std::string embed_url;       ///< the full embeddings URL
  std::string embed_key;       ///< OPENAI_API_KEY, or the Pinecone key for /embed
  std::string embed_model;
  int dimensions = 0;          ///< 0 = the model's own
  int top_k = 4;
  int timeout_ms = 3000;
};

/// nullopt when Pinecone is not in use: no index name or host, or no PINECONE_API_KEY (the local
/// index answers). An error (misconfigured) when it is configured but cannot work: an env URL
/// that is not http(s), or openai embeddings without OPENAI_API_KEY.
result<std::optional<pinecone_endpoint>> pinecone_endpoint_from(const config& cfg, const environment& env,
                                                                 std::string_view tenant, std::string_view agent);

/// GET {api_url}/indexes/{name} → the index's host. Pinecone answers a bare host name; an
/// https:// is put in front of one without a scheme.
outbound_request describe_index_request(const pinecone_endpoint& ep);
result<std::string> parse_index_host(const fetch_result& r);

/// The question's embedding: OpenAI `POST /embeddings` or Pinecone `POST /embed` (input_type query).
outbound_request embed_query_request(const pinecone_endpoint& ep, std::string_view question);
result<std::vector<float>> parse_query_embedding(const pinecone_endpoint& ep, const fetch_result& r);

/// POST {host}/query with the vector (topK, namespace, includeMetadata).
outbound_request query_request(const pinecone_endpoint& ep, std::string_view host, const std::vector<float>& vector);
/// POST {host}/records/namespaces/{ns}/search with the question's text (integrated embedding).
outbound_request search_request(const pinecone_endpoint& ep, std::string_view host, std::string_view question);
/// A passage from record fields {<text_field>, title, heading, url, source} (what ingest writes,
/// and what the chat function stores with a turn); its text is empty when the fields have none.
source passage_from_fields(const detail::json& fields, std::string_view text_field);

/// The passages of a query's `matches` or a search's `result.hits`, best first, numbered 1…;
/// a match without text is skipped (it cannot ground an answer).
result<std::vector<source>> parse_passages(const pinecone_endpoint& ep, const fetch_result& r);

/// Why a call failed and whether trying again may help (408, 429, 5xx, connect, timeout), with
/// Retry-After when the upstream sent one. nullopt for a 2xx answer.
struct upstream_trouble {
  std::string reason;  ///< for logs: "status 429: Too many requests", "timeout"
  bool retryable = false;
  int retry_after_ms = -1;
};
std::optional<upstream_trouble> trouble_of(const fetch_result& r);

}  // namespace salient
