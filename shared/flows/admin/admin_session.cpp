#include "flows/admin/admin_session.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "flows/otp/otp_codes.h"

namespace salient::admin {
namespace {

std::string hex_of(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::optional<std::string> unhex(std::string_view s) {
  auto value = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
  if (s.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < s.size(); i += 2) {
    int hi = value(s[i]), lo = value(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string mac_of(std::string_view secret, const config& cfg, std::string_view expires, std::string_view nonce,
                   std::string_view email) {
  return otp::keyed_hash(secret, "admin-session", {cfg.app.tenant, expires, nonce, email});
}

std::string csrf_of(std::string_view secret, const config& cfg, std::string_view nonce) {
  return otp::keyed_hash(secret, "admin-csrf", {cfg.app.tenant, nonce});
}

/// The value of cookie `name` in a Cookie header ("a=1; b=2"), or empty.
std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    std::size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=')
      return pair.substr(name.size() + 1);
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return {};
}

std::vector<std::string_view> split_dots(std::string_view s) {
  std::vector<std::string_view> parts;
  for (std::size_t at = 0;;) {
    std::size_t dot = s.find('.', at);
    parts.push_back(s.substr(at, dot == std::string_view::npos ? std::string_view::npos : dot - at));
    if (dot == std::string_view::npos) return parts;
    at = dot + 1;
  }
}

}  // namespace

signed_in new_session(std::string_view secret, const config& cfg, std::string_view email, std::int64_t now_ms,
                      std::string_view nonce) {
  return signed_in{std::string(email), now_ms + std::int64_t{cfg.admin.session_hours} * 3'600'000, std::string(nonce),
                   csrf_of(secret, cfg, nonce)};
}

std::string set_cookie(std::string_view secret, const config& cfg, const signed_in& s, std::int64_t now_ms) {
  std::string expires = std::to_string(s.expires_ms);
  std::string email = hex_of(s.email);
  std::string value = "v1." + expires + "." + s.nonce + "." + email + "." + mac_of(secret, cfg, expires, s.nonce, email);
  std::int64_t max_age = std::max<std::int64_t>(0, (s.expires_ms - now_ms) / 1000);
  return std::string(cookie_name) + "=" + value + "; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=" +
         std::to_string(max_age);
}

std::string clear_cookie() {
  return std::string(cookie_name) + "=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0";
}

std::string_view refusal_name(refusal r) {
  switch (r) {
    case refusal::none: return "none";
    case refusal::no_cookie: return "no_cookie";
    case refusal::malformed: return "malformed";
    case refusal::bad_signature: return "bad_signature";
    case refusal::expired: return "expired";
    case refusal::not_listed: return "not_listed";
  }
  return "unknown";
}

std::optional<signed_in> read_session(const request& req, std::string_view secret, const config& cfg, refusal& why) {
  std::string_view value = cookie_value(req.header("cookie"), cookie_name);
  why = refusal::no_cookie;
  if (value.empty()) return std::nullopt;
  why = refusal::malformed;
  auto parts = split_dots(value);
  if (parts.size() != 5 || parts[0] != "v1" || parts[1].empty() || parts[1].size() > 15 || parts[2].size() != 32 ||
      parts[3].empty() || parts[3].size() > 2 * 254 || parts[4].size() != 64)
    return std::nullopt;
  if (!std::all_of(parts[1].begin(), parts[1].end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  auto email = unhex(parts[3]);
  if (!email || !unhex(parts[2])) return std::nullopt;
  why = refusal::bad_signature;
  if (!same(mac_of(secret, cfg, parts[1], parts[2], parts[3]), parts[4])) return std::nullopt;
  why = refusal::expired;
  std::int64_t expires = 0;
  std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), expires);  // ≤ 15 digits: no overflow
  // A cookie signed under a longer admin.session_hours ends when the current setting says.
  if (expires <= req.now_ms || expires - req.now_ms > std::int64_t{cfg.admin.session_hours} * 3'600'000) return std::nullopt;
  why = refusal::not_listed;
  if (std::find(cfg.admin.emails.begin(), cfg.admin.emails.end(), *email) == cfg.admin.emails.end()) return std::nullopt;
  why = refusal::none;
  return signed_in{std::move(*email), expires, std::string(parts[2]), csrf_of(secret, cfg, parts[2])};
}

bool csrf_ok(const signed_in& s, std::string_view given) { return !given.empty() && same(s.csrf, given); }

}  // namespace salient::admin
