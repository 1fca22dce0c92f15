#include "salient/core/entropy.h"

#include <algorithm>

#include <sodium.h>

namespace salient {

entropy::entropy(std::string_view seed) : seed_(seed) {}

void entropy::fill(std::span<std::uint8_t> out) {
  if (seed_.size() != randombytes_SEEDBYTES) {
    randombytes_buf(out.data(), out.size());
    return;
  }
  // randombytes_buf_deterministic yields a prefix-stable stream for one seed: regenerate a
  // longer prefix when the pool runs dry (requests need well under a kilobyte).
  if (used_ + out.size() > pool_.size()) {
    std::size_t want = std::max<std::size_t>(1024, (used_ + out.size()) * 2);
    pool_.resize(want);
    randombytes_buf_deterministic(pool_.data(), want,
                                  reinterpret_cast<const unsigned char*>(seed_.data()));
  }
  std::copy_n(pool_.data() + used_, out.size(), out.data());
  used_ += out.size();
}

std::string uuid_v7(std::int64_t unix_ms, entropy& rng) {
  std::uint8_t b[16];
  rng.fill({b + 6, 10});
  auto ms = static_cast<std::uint64_t>(unix_ms);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<std::uint8_t>(0x70 | (b[6] & 0x0F));  // version 7
  b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3F));  // variant 10
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(hex[b[i] >> 4]);
    s.push_back(hex[b[i] & 15]);
  }
  return s;
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    char c = s[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
      return false;
  }
  return true;
}

}  // namespace salient
