#pragma once
// Pinecone retrieval in the chat function: the question's embedding (and
// the index host lookup, when needed) start before the visitor's message is stored, so they run
// alongside begin_turn; then the query. Each call is retried once when that may help (429, 5xx,
// timeout, connect). The outcome is stored with the turn (messages.metadata.retrieval of the
// visitor's message, via salient_attach_retrieval) and handed to the stream function by its claim:
//
//   {"mode":"pinecone","sources":[{title, heading, url, source, text, score}]}   best first
//   {"mode":"unavailable","reason":"…"}   Pinecone or the embeddings failed: the stream answers
//                                          from the local index (or none) with a note
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "salient/core/exchange.h"
#include "salient/flows/context.h"
#include "salient/core/task.h"

#include "upstream/pinecone/pinecone_search.h"
#include "flows/retrieval.h"

namespace salient {

struct stored_retrieval {
  enum class kind { none, pinecone, unavailable } what = kind::none;
  std::vector<source> sources;  ///< pinecone: numbered 1… in rank order
  std::string reason;           ///< unavailable: why, for logs (no visitor text)
};

/// The JSON stored with the turn.
std::string stored_retrieval_json(const stored_retrieval& r);
/// Reads it back (claim_turn's `retrieval`); none for null or an unknown shape.
stored_retrieval parse_stored_retrieval(const detail::json& doc);

/// The calls that can start before begin_turn returns.
struct pinecone_started {
  std::optional<pending_fetch> describe;  ///< the host lookup, when the host is neither configured nor remembered
  std::optional<pending_fetch> embed;     ///< the question's embedding (not for integrated indexes)
};
pinecone_started start_pinecone(function_context& ctx, const pinecone_endpoint& ep, std::string_view question);

/// Awaits what start_pinecone began (retrying once), then queries the index.
task<stored_retrieval> finish_pinecone(function_context ctx, pinecone_endpoint ep, std::string question,
                                       pinecone_started started);

}  // namespace salient
