#include "flows/otp/otp_codes.h"

#include <cstdint>
#include <vector>

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

std::string ip_for_limits(std::string_view ip) {
  // An IPv4 client seen through an IPv6 socket (::ffff:a.b.c.d) is that IPv4 address: by its
  // /64 every such client would share ::/64, one counter for all of them.
  if (std::size_t dot = ip.rfind(':'); dot != std::string_view::npos && ip.find('.', dot) != std::string_view::npos)
    return std::string(ip.substr(dot + 1));
  if (ip.find(':') == std::string_view::npos) return std::string(ip);
  auto groups_of = [](std::string_view s) {
    std::vector<std::string> out;
    for (std::size_t at = 0; !s.empty() && at <= s.size();) {
      std::size_t colon = s.find(':', at);
      out.emplace_back(s.substr(at, colon == std::string_view::npos ? std::string_view::npos : colon - at));
      if (colon == std::string_view::npos) break;
      at = colon + 1;
    }
    return out;
  };
  std::vector<std::string> groups;
  std::size_t gap = ip.find("::");
  if (gap == std::string_view::npos) {
    groups = groups_of(ip);
  } else {  // "::" stands for as many zero groups as make eight
    std::vector<std::string> head = groups_of(ip.substr(0, gap)), tail = groups_of(ip.substr(gap + 2));
    groups = head;
    for (std::size_t n = head.size() + tail.size(); n < 8; ++n) groups.emplace_back("0");
    groups.insert(groups.end(), tail.begin(), tail.end());
  }
  std::string prefix;
  for (std::size_t i = 0; i < 4; ++i) {
    std::string g = i < groups.size() ? groups[i] : "0";
    for (char& c : g)
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    while (g.size() > 1 && g.front() == '0') g.erase(g.begin());
    prefix += (g.empty() ? "0" : g) + ":";
  }
  return prefix + ":/64";
}

}  // namespace salient::otp
