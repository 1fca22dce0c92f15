#pragma once
// The hot path of the LLM relay: one `data:` payload of an OpenAI-style chat.completion stream
// (OpenRouter's) read by an incremental scanner that extracts `choices[0].delta.content`
// without building a JSON DOM. A DOM parse per chunk (nlohmann) costs more than the whole
// relay budget (docs/BENCHMARKS.md); the few chunks that carry anything else — an `error` object,
// `usage`, a `finish_reason` — are rare (about one per stream) and are handed back for the
// DOM parser, which reads them completely.
//
// Exact on escapes: \" \\ \/ \b \f \n \r \t and \uXXXX including surrogate pairs; a lone
// surrogate, a raw control character or invalid UTF-8 inside the content is malformed, as it
// is for a conforming JSON parser (the differential fuzz target holds the two together).
#include <string>
#include <string_view>

namespace salient {

enum class chunk_kind {
  delta,      ///< an ordinary chunk: its content (possibly none, e.g. a role-only chunk) was appended
  done,       ///< the `[DONE]` sentinel
  needs_dom,  ///< carries `error`, `usage` or a non-null `finish_reason`: parse it fully
  malformed,  ///< not a JSON object of the expected shape
};

/// Appends choices[0].delta.content of `data` to `text` when the chunk is an ordinary delta.
/// On any other result `text` is left as it was.
chunk_kind scan_completion_chunk(std::string_view data, std::string& text);

/// scan_completion_chunk for a stream of chunks, with a shortcut: the chunks of one answer are
/// byte for byte alike but for the content string (same id, model, created, key order). The
/// scanner remembers the bytes before and after the content string of the last plain delta;
/// a chunk that starts with the same prefix and, after a well-formed content string, ends with
/// the same suffix has the same structure — the scan's every decision depends only on those
/// bytes, and a JSON string's end is found from its own bytes — so only the content string is
/// read (two comparisons instead of walking ~15 keys). Anything else takes the full scan,
/// whose result is identical by construction (tests and the fuzz target check that it is).
class completion_scanner {
 public:
  chunk_kind scan(std::string_view data, std::string& text);

 private:
  std::string prefix_, suffix_;  // empty prefix: nothing remembered yet
};

}  // namespace salient
