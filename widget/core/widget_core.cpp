// The widget's WASM core (Emscripten): an HTML escaper, the markdown renderer (markdown.h,
// one-shot and streaming) and the SSE parser (sse_parser.h). This file is only the C ABI over
// them; the JS side is widget-core-api.js.
//
// Calling convention (mirrors docs/ABI.md for the function modules):
//   - inputs are (ptr, len) byte ranges in the module's memory, allocated with
//     salient_widget_alloc / released with salient_widget_free;
//   - results land in one module-owned output buffer read through salient_widget_output_ptr /
//     salient_widget_output_len, valid until the next call into the module;
//   - memory may grow during a call: JS must re-create typed-array views afterwards;
//   - a negative return means out of memory (or, for SSE, a refused stream); the output is
//     then empty.
//
// Output layouts:
//   salient_escape_html, salient_md_render, salient_sse_last_event_id: the bytes (UTF-8).
//   salient_md_append / salient_md_finish: commit bytes then tail bytes; the return value is
//     the commit's length, so tail = output[ret, output_len).
//   salient_sse_feed: per event, in order: u32 type_len, type, u32 data_len, data, u32 id_len,
//     id (u32 little-endian); the return value is the number of events.
//
// Handles are pointers to C++ objects, owned by JS until the matching _free. The module is
// compiled without exceptions: a std::string that cannot grow aborts (traps); the widget
// then has to load a fresh instance (loadWidgetCore again).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <vector>

#include "markdown.h"
#include "sse_parser.h"

namespace {

using salient::widget::render_options;
using salient::widget::sse_event;
using salient::widget::sse_parser;
using salient::widget::stream_renderer;

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

bool set_output(std::string_view a, std::string_view b = {}) {
  g_out_len = 0;
  if (a.size() + b.size() > static_cast<std::size_t>(INT32_MAX) || !reserve_output(a.size() + b.size())) return false;
  if (!a.empty()) std::memcpy(g_out, a.data(), a.size());
  if (!b.empty()) std::memcpy(g_out + a.size(), b.data(), b.size());
  g_out_len = a.size() + b.size();
  return true;
}

render_options options_from(int flags) { return render_options{(flags & 1) != 0}; }

int stream_result(const stream_renderer::output& o) {
  return set_output(o.commit, o.tail) ? static_cast<int>(o.commit.size()) : -1;
}

void put_u32(char* p, std::size_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
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
// 2: markdown rendering and SSE parsing.
int salient_widget_abi_version() { return 2; }

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

// Markdown → sanitized HTML (markdown.h). flags: bit 0 = allow_basic_html. Returns the
// output length or -1.
int salient_md_render(const char* ptr, std::size_t len, int flags) {
  std::string html = salient::widget::render_markdown(std::string_view(ptr, len), options_from(flags));
  return set_output(html) ? static_cast<int>(html.size()) : -1;
}

// A streaming renderer (flags as above), or null.
stream_renderer* salient_md_new(int flags) { return new (std::nothrow) stream_renderer(options_from(flags)); }

// Appends markdown text; output = commit then tail, returns the commit's length (or -1).
int salient_md_append(stream_renderer* h, const char* ptr, std::size_t len) {
  return stream_result(h->append(std::string_view(ptr, len)));
}

// Ends the document: everything is committed, the tail is empty.
int salient_md_finish(stream_renderer* h) { return stream_result(h->finish()); }

void salient_md_free(stream_renderer* h) { delete h; }

sse_parser* salient_sse_new() { return new (std::nothrow) sse_parser(); }

// Feeds stream bytes; returns the number of events completed (layout above), or -1 once the
// stream has been refused (sse_parser::max_event_bytes) or memory ran out.
int salient_sse_feed(sse_parser* h, const char* ptr, std::size_t len) {
  g_out_len = 0;
  std::vector<sse_event> events;
  if (!h->feed(std::string_view(ptr, len), events)) return -1;
  std::size_t need = 0;
  for (const auto& e : events) need += 12 + e.type.size() + e.data.size() + e.id.size();
  if (need > static_cast<std::size_t>(INT32_MAX) || !reserve_output(need)) return -1;
  char* out = g_out;
  for (const auto& e : events) {
    for (const std::string* s : {&e.type, &e.data, &e.id}) {
      put_u32(out, s->size());
      if (!s->empty()) std::memcpy(out + 4, s->data(), s->size());
      out += 4 + s->size();
    }
  }
  g_out_len = need;
  return static_cast<int>(events.size());
}

// The id to send as Last-Event-ID on reconnect: output = its bytes; returns its length or -1.
int salient_sse_last_event_id(const sse_parser* h) {
  return set_output(h->last_event_id()) ? static_cast<int>(h->last_event_id().size()) : -1;
}

// The server's retry: in ms (clamped to INT32_MAX), or -1 if none.
int salient_sse_retry_ms(const sse_parser* h) {
  long long r = h->retry_ms();
  return r > INT32_MAX ? INT32_MAX : static_cast<int>(r);
}

void salient_sse_free(sse_parser* h) { delete h; }

}  // extern "C"
