#pragma once
// Retrieval for one answer from the instance's local index: the passages a question finds,
// and where the answer's sources came from (local, Pinecone, none).
#include <string_view>
#include <vector>

#include "knowledge/sources.h"
#include "salient/flows/context.h"
#include "salient/upstream/store/state_client.h"

namespace salient {

/// The passages one answer draws on, and where they came from.
struct turn_sources {
  std::vector<source> list;
  std::string_view mode = "local";  ///< local | pinecone | none
  bool degraded = false;            ///< Pinecone was configured but failed: these are the local fallback
};

/// The passages for `question` from the instance's local index: at most rag.top_k, and none
/// much weaker than the best (under a third of its score), which are more noise than help.
/// A short follow-up ("and on weekends?") is searched together with the visitor's previous
/// message. Empty when rag is off or there is no index.
std::vector<source> retrieve_local(const function_context& ctx, std::string_view question,
                                   const std::vector<history_message>& history);

}  // namespace salient
