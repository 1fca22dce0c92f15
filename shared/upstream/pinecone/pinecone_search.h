#pragma once
// Retrieval from Pinecone, sans-IO: the requests and what their answers mean.
// Wire formats: docs/UPSTREAMS.md (Pinecone, OpenAI embeddings).
//
//   question ──embed──▶ vector ──POST {host}/query──▶ matches      (embeddings.provider openai
//                                                                   or pinecone's /embed)
//   question ──POST {host}/records/namespaces/{ns}/search──▶ hits  (vector.pinecone.integrated)
//
// The endpoint, the index host lookup and failed answers: pinecone_endpoint.h; the question's
// embedding: embeddings.h (both included here, for the flows). Passages are records written by
// `salient ingest --pinecone` (pinecone_upsert.h, docs/KNOWLEDGE.md): metadata {<text_field>,
// title, heading, url, source}.
//
// The flow side (pinecone_retrieval.h) runs these with one retry and stores the outcome with the
// turn, so that the stream function answers from it.
#include <string>
#include <string_view>
#include <vector>

#include "salient/core/exchange.h"
#include "salient/core/http.h"
#include "salient/core/result.h"

#include "knowledge/sources.h"
#include "upstream/pinecone/embeddings.h"
#include "upstream/pinecone/pinecone_endpoint.h"

namespace salient {

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

}  // namespace salient
