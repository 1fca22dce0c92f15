// The upstream SSE reader: the first byte seeds where the rest is cut into pieces. Invariants:
// no crash; the events are the same however the stream is cut; mid_event() agrees too.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "salient/upstream/openrouter/sse_reader.h"

namespace {
std::vector<std::string> read(std::string_view s, std::uint8_t seed, bool& mid) {
  salient::sse_reader r;
  std::vector<std::string> out;
  auto on = [&](const salient::sse_reader::event& e) {
    out.push_back(std::string(e.type) + '\0' + std::string(e.data) + '\0' + std::string(e.id));
    return true;
  };
  if (seed == 0) {
    r.feed(s, on);
  } else {
    std::size_t step = seed % 7 + 1, pos = 0;
    while (pos < s.size()) {
      std::size_t n = std::min(step, s.size() - pos);
      r.feed(s.substr(pos, n), on);
      pos += n;
      step = step * 5 % 11 + 1;
    }
  }
  mid = r.mid_event();
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view s(reinterpret_cast<const char*>(data + 1), size - 1);
  bool mid_whole = false, mid_split = false;
  auto whole = read(s, 0, mid_whole);
  auto split = read(s, data[0] | 1, mid_split);
  if (whole != split || mid_whole != mid_split) std::abort();
  return 0;
}
