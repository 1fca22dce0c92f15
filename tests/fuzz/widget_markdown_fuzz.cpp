// The widget's markdown renderer (widget/core/markdown.h) on arbitrary bytes. Byte 0 picks the
// options (bit 0: allow_basic_html), bytes 1–2 a split point; the rest is the markdown.
// Invariants: every output, one-shot and each streamed commit and tail, passes the HTML safety
// checker (tests/support/html_safety.h); the streamed commits + final tail equal the one-shot
// render, whether split at the chosen point or (for short inputs) byte by byte.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "html_safety.h"
#include "markdown.h"

namespace {

void check_safe(const std::string& html, std::string_view what) {
  std::string problem = salient::test::html_safety_problem(html);
  if (problem.empty()) return;
  std::fprintf(stderr, "unsafe %.*s: %s\n", static_cast<int>(what.size()), what.data(), problem.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  salient::widget::render_options options{(data[0] & 1) != 0};
  std::size_t split = static_cast<std::size_t>(data[1] | (data[2] << 8));
  std::string_view md(reinterpret_cast<const char*>(data) + 3, size - 3);
  split = md.empty() ? 0 : split % (md.size() + 1);

  std::string whole = salient::widget::render_markdown(md, options);
  check_safe(whole, "one-shot");

  salient::widget::stream_renderer r(options);
  std::string streamed;
  for (std::string_view piece : {md.substr(0, split), md.substr(split)}) {
    const auto& out = r.append(piece);
    check_safe(out.commit, "commit");
    check_safe(out.tail, "tail");
    streamed += out.commit;
  }
  streamed += r.finish().commit;
  if (streamed != whole) {
    std::fprintf(stderr, "streamed (split at %zu) differs:\n%s\n--- one-shot:\n%s\n", split, streamed.c_str(), whole.c_str());
    std::abort();
  }

  if (md.size() <= 48) {  // each byte re-renders the tail: keep the cost per input bounded
    salient::widget::stream_renderer bytes(options);
    std::string by_byte;
    for (std::size_t i = 0; i < md.size(); ++i) by_byte += bytes.append(md.substr(i, 1)).commit;
    by_byte += bytes.finish().commit;
    if (by_byte != whole) {
      std::fprintf(stderr, "streamed byte by byte differs:\n%s\n--- one-shot:\n%s\n", by_byte.c_str(), whole.c_str());
      std::abort();
    }
  }
  return 0;
}
