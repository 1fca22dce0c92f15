#pragma once
// Finding the next byte of interest 16 bytes at a time, for the LLM relay's hot loops: SSE line
// ends, JSON string ends, characters that need escaping. A byte-at-a-time loop spends a branch
// per byte; a 16-byte compare and one bitmask per block spends one (docs/BENCHMARKS.md (d)).
//
// Written with clang's portable vector extensions, so the same code is SSE2 natively (tests,
// fuzzing) and simd128 in wasm (CMakeLists.txt adds -msimd128 for wasm32: Workers, Deno and
// Node all run it). Functions are `static`: every file gets its own copy, compiled with that
// file's flags, so there is no one-definition clash between differently built objects.
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace salient::detail {

using u8x16 = unsigned char __attribute__((ext_vector_type(16)));
using b8x16 = bool __attribute__((ext_vector_type(16)));

static inline u8x16 load16(const char* p) {
  u8x16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// One bit per lane, lane 0 in bit 0.
template <class Mask>
static inline unsigned lane_bits(Mask m) {
  return __builtin_bit_cast(std::uint16_t, __builtin_convertvector(m, b8x16));
}

/// The first `a` or `b` in [p, end), or end.
static inline const char* find_either(const char* p, const char* end, char a, char b) {
  const u8x16 va = static_cast<unsigned char>(a), vb = static_cast<unsigned char>(b);
  for (; end - p >= 16; p += 16) {
    u8x16 v = load16(p);
    if (unsigned m = lane_bits((v == va) | (v == vb))) return p + __builtin_ctz(m);
  }
  while (p != end && *p != a && *p != b) ++p;
  return p;
}

/// The first byte in [p, end) that ends a JSON string run: `"`, `\` or a control character
/// (< 0x20, which JSON forbids raw in strings), or end.
static inline const char* find_json_string_stop(const char* p, const char* end) {
  const u8x16 quote = '"', backslash = '\\', space = 0x20;
  for (; end - p >= 16; p += 16) {
    u8x16 v = load16(p);
    if (unsigned m = lane_bits((v == quote) | (v == backslash) | (v < space))) return p + __builtin_ctz(m);
  }
  while (p != end && *p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20) ++p;
  return p;
}

/// The first byte in [p, end) that is not ASCII (>= 0x80), or end.
static inline const char* find_non_ascii(const char* p, const char* end) {
  const u8x16 high = 0x80;
  for (; end - p >= 16; p += 16) {
    if (unsigned m = lane_bits(load16(p) >= high)) return p + __builtin_ctz(m);
  }
  while (p != end && static_cast<unsigned char>(*p) < 0x80) ++p;
  return p;
}

/// Whether the `n` bytes at `a` and `b` are equal: memcmp, inline and 16 at a time.
static inline bool bytes_equal(const char* a, const char* b, std::size_t n) {
  std::size_t i = 0;
  for (; n - i >= 16; i += 16) {
    if (lane_bits(load16(a + i) != load16(b + i))) return false;
  }
  for (; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

}  // namespace salient::detail
