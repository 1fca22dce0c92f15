#include "flows/otp/otp_codes.h"

#include <cstdint>

#include <sodium.h>

namespace salient::otp {

std::string new_code(entropy& rng) {
  // 4 294 000 000 is the largest multiple of 10^6 below 2^32: draws at or above it are redrawn,
  // so every code is equally likely.
  constexpr std::uint32_t limit = 4'294'000'000u;
  std::uint32_t v = 0;
  do {
    std::uint8_t b[4];
    rng.fill(b);
    v = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
  } while (v >= limit);
  v %= 1'000'000u;
  std::string code(code_digits, '0');
  for (int i = code_digits - 1; i >= 0; --i, v /= 10) code[static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
  return code;
}

std::optional<std::string> read_code(std::string_view typed) {
  std::string digits;
  for (char c : typed) {
    if (c >= '0' && c <= '9') {
      if (digits.size() == code_digits) return std::nullopt;
      digits.push_back(c);
    } else if (c != ' ' && c != '-' && c != '\t') {
      return std::nullopt;
    }
  }
  if (digits.size() != code_digits) return std::nullopt;
  return digits;
}

std::string keyed_hash(std::string_view secret, std::string_view kind, std::initializer_list<std::string_view> parts) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  auto update = [&](std::string_view s) {
    std::string len = std::to_string(s.size()) + ":";
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(len.data()), len.size());
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  update("salient-otp-v1");
  update(kind);
  for (std::string_view p : parts) update(p);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return std::string(hex, crypto_auth_hmacsha256_BYTES * 2);
}

}  // namespace salient::otp
