#pragma once
// The embeddings calls, sans-IO: OpenAI's `POST {OPENAI_BASE_URL}/embeddings` or Pinecone's
// `POST {PINECONE_API_URL}/embed` (embeddings.provider), for a visitor's question (retrieval)
// and for the passages `salient ingest --pinecone` uploads. Wire formats: docs/UPSTREAMS.md.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "salient/core/exchange.h"
#include "salient/core/http.h"
#include "salient/core/result.h"

#include "upstream/pinecone/pinecone_endpoint.h"

namespace salient {

/// The question's embedding: OpenAI `{model, input: "…", encoding_format, dimensions?}`, or
/// Pinecone `{model, parameters: {input_type: "query", truncate: "END", dimension?}, inputs}`.
outbound_request embed_query_request(const pinecone_endpoint& ep, std::string_view question);
/// The vector of the first (only) embedding: floats, as the query sends them.
result<std::vector<float>> parse_query_embedding(const pinecone_endpoint& ep, const fetch_result& r);

/// The passages' embeddings, one call for all `texts` (at most pinecone_max_batch for /embed):
/// OpenAI's `input` is the list; Pinecone's input_type is "passage".
outbound_request embed_passages_request(const pinecone_endpoint& ep, const std::vector<std::string>& texts);
/// One vector per text, in the texts' order (OpenAI's `index` says which is which), non-empty,
/// finite, all of one length, and that of embeddings.dimensions when it is set. Doubles, so that
/// an upsert writes the numbers exactly as the embeddings API gave them. Errors (upstream) say
/// what does not fit: "3 vectors for 4 inputs", "vectors of different lengths (3 and 2)", ….
result<std::vector<std::vector<double>>> parse_passage_embeddings(const pinecone_endpoint& ep, const fetch_result& r,
                                                                  std::size_t texts);

}  // namespace salient
