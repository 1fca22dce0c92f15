// canary_filter on arbitrary text cut into arbitrary pieces. Invariants: never a crash; what
// is held back stays bounded (max_held_bytes and an incomplete character); without the canary
// the text comes out whole and unchanged (or, if it holds a leaking partial match, a prefix of
// it); with the canary or its bare secret inserted (spaced out or with invisible separators)
// the filter stops, having returned the text before it and nothing of it; for valid UTF-8
// input, no returned piece ends inside a character.
//
// Input: byte 0 picks the piece size (1–16), byte 1 the separator put between the canary's
// letters (or the bare secret, or no canary at all), byte 2 where it goes; the rest is the text.
#include <sodium.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "flows/stream/canary_filter.h"

namespace {

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0x80 ? 1 : b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static bool ready = sodium_init() >= 0;
  if (!ready) std::abort();
  static const std::string canary = salient::canary_for("fuzz-secret-0123456789abcdef0123456789");
  if (size < 3) return 0;
  const std::size_t piece = 1 + data[0] % 16;
  static constexpr std::string_view separators[] = {
      "", " ", "\xe2\x80\x8b", "-", "\n", "\xc2\xad",
      "\xe2\x80\x8b\xe2\x80\x8b\xe2\x80\x8b\xe2\x80\x8b\xe2\x80\x8b\xe2\x80\x8b\xe2\x80\x8b\xe2\x80\x8b\xe2\x80\x8b",  // 27 bytes
      "\xe2\x81\xa6\xf3\xa0\x80\xa0",  // U+2066, U+E0020
      ""};                          // 8: the bare secret, no tag
  const int choice = data[1] % 11;  // 9 and 10: no canary
  std::string text(reinterpret_cast<const char*>(data + 3), size - 3);
  if (text.size() > 4096) text.resize(4096);
  const bool utf8 = valid_utf8(text);
  std::size_t at = std::string::npos;
  if (choice < 9) {
    // At a character boundary (so a valid text stays valid).
    at = text.empty() ? 0 : data[2] * text.size() / 255;
    while (at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) ++at;
    std::string marked;
    for (char c : choice == 8 ? canary.substr(15) : canary) {
      if (!marked.empty()) marked += separators[choice];
      marked += (data[2] & 1) && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    }
    text.insert(at, marked);
  }

  salient::canary_filter f(canary);
  std::string out;
  const std::size_t bound = salient::canary_filter::max_held_bytes + 4;
  for (std::size_t i = 0; i < text.size(); i += piece) {
    std::string_view got = f.feed(std::string_view(text).substr(i, piece));
    if (utf8 && !got.empty() && !valid_utf8(got)) std::abort();
    out += got;
    if (f.held() > bound) std::abort();
  }
  std::string_view rest = f.finish();
  if (utf8 && !rest.empty() && !valid_utf8(rest)) std::abort();
  out += rest;
  if (f.held() != 0) std::abort();
  if (at == std::string::npos) {
    // Without the marker nothing is changed; only a text holding a leaking partial match (the
    // tag and some secret letters, or 8 of them alone: a fuzzer may find a few) is stopped there.
    if (!f.blocked() ? out != text : (out.size() >= text.size() || text.compare(0, out.size(), out) != 0)) std::abort();
  } else {
    // Stopped, having returned what came before the marker; less only if that text alone ends
    // in or holds a leaking partial match (the marker's first letter breaks it).
    if (!f.blocked() || out.size() > at || text.compare(0, out.size(), out) != 0) std::abort();
    if (out.size() < at && choice != 8) {  // (before a bare secret, a tag in the text joins it)
      salient::canary_filter alone(canary);
      (void)alone.feed(std::string_view(text).substr(0, at));
      (void)alone.finish();
      if (!alone.blocked()) std::abort();
    }
  }
  return 0;
}
