#pragma once
// Grounding an answer in the business's own content (issue 5): the passages retrieved for a
// question, the prompt block that hands them to the model with numbers, the citations found in
// the answer (checked against what was retrieved: a number the model made up is dropped), and
// the `citations` event and metadata that carry them to the visitor and the store.
#include <string>
#include <string_view>
#include <vector>

#include "salient/detail/json.h"
#include "salient/instance.h"
#include "salient/state_client.h"

namespace salient {

struct source {
  int n = 0;  ///< 1-based: how the prompt numbers it and the answer cites it
  std::string path, title, heading, url, text;
  float score = 0;  ///< BM25 for the local index
  int rank = 0;     ///< 1 = best match
};

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

/// The system-prompt block that lists the sources and says how to cite them.
std::string sources_prompt(const std::vector<source>& sources);

/// The source numbers `answer` cites as [n] (also [1, 2] and [1][2]) that name one of the
/// `count` sources, in the order first cited, each once.
std::vector<int> cited_numbers(std::string_view answer, std::size_t count);

/// A passage's beginning for display: about `max_bytes`, cut at a word (never inside a UTF-8
/// character), with "…" when cut.
std::string snippet_of(std::string_view text, std::size_t max_bytes = 240);

/// The cited sources as a JSON array: [{n, title, heading, url, source, score, rank, snippet}].
/// A URL that is not a site path ("/…") or http(s) is left out. One document serves the event,
/// the page's list and the stored metadata.
detail::json citations_json(const std::vector<source>& sources, const std::vector<int>& numbers);

/// The sources list under an answer (`<ol class="sources">`, escaped, each with its rank and
/// score in a <details>) from a citations array as citations_json makes it. Also given the
/// copies stored in messages.metadata, so read defensively: wrong types count as missing and
/// URLs are checked again.
std::string sources_list_html(const detail::json& citations);

}  // namespace salient
