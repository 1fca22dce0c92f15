#pragma once
// The model's answer to a claimed turn, relayed as it streams (the stream function).
#include <string>

#include "salient/config/config.h"
#include "salient/flows/context.h"
#include "salient/upstream/openrouter/llm_client.h"
#include "salient/upstream/store/state_client.h"

#include "flows/stream/answer_events.h"
#include "flows/retrieval.h"

namespace salient {

struct turn_context {
  const agent_config& agent;
  const state_store& store;
  const claimed_turn& claim;
  std::string turn_id;
  const turn_sources& sources;  ///< retrieved for this question (retrieval.h); the list may be empty
};

/// Asks the model and relays its answer, storing it (and its llm_requests row) when it ends,
/// however it ends. Before the first byte, retryable failures are retried (at most
/// llm.retries, with backoff); after it, never (no duplicated text): an interruption ends the
/// stream with an `error` event and the partial answer is stored, marked interrupted.
/// Resolves to false when the model could not be reached at all and nothing was sent: the
/// caller answers offline instead.
task<bool> answer_with_llm(function_context ctx, const turn_context& turn, const llm_endpoint& endpoint,
                           answer_events& events);

}  // namespace salient
