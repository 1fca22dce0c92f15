// The widget's SSE parser (widget/core/sse_parser.h) on arbitrary bytes, split at two points
// chosen by bytes 0–3. Invariants: no crash; the events, the last event id, the retry delay
// and the refused state are the same as when the whole input is fed at once.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "sse_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 4, size - 4);
  std::size_t a = (data[0] | (data[1] << 8)) % (in.size() + 1);
  std::size_t b = (data[2] | (data[3] << 8)) % (in.size() + 1);
  if (a > b) std::swap(a, b);

  salient::widget::sse_parser whole, split;
  std::vector<salient::widget::sse_event> expected, got;
  whole.feed(in, expected);
  for (auto piece : {in.substr(0, a), in.substr(a, b - a), in.substr(b)}) split.feed(piece, got);

  if (got.size() != expected.size()) std::abort();
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i].type != expected[i].type || got[i].data != expected[i].data || got[i].id != expected[i].id) std::abort();
    if (got[i].type.empty()) std::abort();  // "message" when absent
  }
  if (whole.last_event_id() != split.last_event_id() || whole.retry_ms() != split.retry_ms() ||
      whole.failed() != split.failed())
    std::abort();
  return 0;
}
