// The widget's WASM core (Emscripten). For now: an ABI version and an HTML escaper that the
// widget runs over streamed answer text before it reaches the DOM.
//
// Calling convention (mirrors docs/ABI.md for the function modules):
//   - inputs are (ptr, len) byte ranges in the module's memory, allocated with
//     salient_widget_alloc / released with salient_widget_free;
//   - results land in one module-owned output buffer read through salient_widget_output_ptr /
//     salient_widget_output_len, valid until the next call into the module;
//   - memory may grow during a call: JS must re-create typed-array views afterwards.
//
// No C++ standard library containers here on purpose: the module stays a few KB, and the
// non-native builds compile with -fno-exceptions anyway.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

// One output buffer, grown on demand and reused across calls (the widget escapes many small
// chunks while streaming; reallocating each time would churn the allocator).
char* g_out = nullptr;
std::size_t g_out_len = 0;
std::size_t g_out_cap = 0;

bool reserve_output(std::size_t need) {
  if (need <= g_out_cap) return true;
  std::size_t cap = g_out_cap ? g_out_cap : 256;
  while (cap < need) {
    if (cap > SIZE_MAX / 2) { cap = need; break; }
    cap *= 2;
  }
  void* p = std::realloc(g_out, cap);
  if (!p) return false;
  g_out = static_cast<char*>(p);
  g_out_cap = cap;
  return true;
}

// The replacement for one byte, or nullptr if the byte is copied as is. Bytes >= 0x80 (UTF-8
// lead and continuation bytes) never match, so multi-byte characters pass through untouched —
// also when a stream chunk boundary splits one.
const char* html_entity(unsigned char c) {
  switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";  // &apos; is not an HTML 4 entity; the numeric form works everywhere
    default: return nullptr;
  }
}

}  // namespace

extern "C" {

// Bumped whenever an export changes meaning; the loader refuses a core it does not know.
int salient_widget_abi_version() { return 1; }

void* salient_widget_alloc(std::size_t len) { return std::malloc(len ? len : 1); }
void salient_widget_free(void* ptr) { std::free(ptr); }

const char* salient_widget_output_ptr() { return g_out; }
std::size_t salient_widget_output_len() { return g_out_len; }

// Escapes & < > " ' in the UTF-8 bytes [ptr, ptr+len) for use in HTML text and attribute
// values. Returns the output length (also in salient_widget_output_len), or -1 if memory ran
// out (the output is then empty).
int salient_escape_html(const char* ptr, std::size_t len) {
  g_out_len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(ptr);

  // First pass: exact output size, so the buffer grows at most once per call.
  std::size_t need = 0;
  for (std::size_t i = 0; i < len; ++i) {
    const char* e = html_entity(in[i]);
    std::size_t add = e ? std::strlen(e) : 1;
    if (need > SIZE_MAX - add) return -1;
    need += add;
  }
  if (need > static_cast<std::size_t>(INT32_MAX) || !reserve_output(need)) return -1;

  char* out = g_out;
  for (std::size_t i = 0; i < len; ++i) {
    if (const char* e = html_entity(in[i])) {
      std::size_t n = std::strlen(e);
      std::memcpy(out, e, n);
      out += n;
    } else {
      *out++ = static_cast<char>(in[i]);
    }
  }
  g_out_len = need;
  return static_cast<int>(need);
}

}  // extern "C"
