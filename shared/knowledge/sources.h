#pragma once
// The passages an answer is grounded in, and what is derived from them alone: the prompt block
// that hands them to the model with numbers, the citations found in the answer (checked against
// what was retrieved: a number the model made up is dropped), and the citations' JSON, which
// serves the `citations` event, the page's list and the stored metadata alike.
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace salient {

struct source {
  int n = 0;  ///< 1-based: how the prompt numbers it and the answer cites it
  std::string path, title, heading, url, text;
  float score = 0;  ///< BM25 for the local index
  int rank = 0;     ///< 1 = best match
};

/// A link a visitor may follow: a path on the site itself, or http(s).
bool safe_link_url(std::string_view url);

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

}  // namespace salient
