#pragma once
// An operator's sign-in to /admin/ (flows/admin): a signed cookie instead of server-side
// sessions, so that checking it costs no store round trip. Private to flows/admin.
//
// The cookie `__Host-salient_admin` (Secure, HttpOnly, SameSite=Lax, Path=/, no Domain: the
// `__Host-` prefix makes the browser refuse it otherwise, so no sibling subdomain can plant or
// widen one) holds `v1.<expires_ms>.<nonce>.<email, hex>.<mac>`, the mac an HMAC-SHA256 keyed
// with SALIENT_OTP_SECRET over the tenant and the other parts (otp::keyed_hash, kind
// "admin-session"). On every request it must verify, be unexpired, and name an address that is
// still in admin.emails: taking an address out of the config ends its access at once.
//
// CSRF: every admin POST carries `csrf`, an HMAC of the cookie's nonce (kind "admin-csrf"), which
// a cross-site page cannot read; the modules' Origin gate runs before it as well.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "salient/config/config.h"
#include "salient/core/http.h"

namespace salient::admin {

inline constexpr std::string_view cookie_name = "__Host-salient_admin";

struct signed_in {
  std::string email;            ///< normalised, and in admin.emails
  std::int64_t expires_ms = 0;
  std::string nonce;            ///< 32 hex digits, new at each sign-in
  std::string csrf;             ///< what this session's forms must send back
};

/// A new sign-in for `email`, valid for admin.session_hours from `now_ms`.
signed_in new_session(std::string_view secret, const config& cfg, std::string_view email, std::int64_t now_ms,
                      std::string_view nonce);
/// The Set-Cookie value that stores `s` (Max-Age to its expiry).
std::string set_cookie(std::string_view secret, const config& cfg, const signed_in& s, std::int64_t now_ms);
/// The Set-Cookie value that removes the cookie (sign-out, or a cookie that no longer holds).
std::string clear_cookie();

/// Why a request is not signed in (for the log; the page says only "sign in").
enum class refusal { none, no_cookie, malformed, bad_signature, expired, not_listed };
std::string_view refusal_name(refusal r);

/// The request's sign-in, or the reason there is none.
std::optional<signed_in> read_session(const request& req, std::string_view secret, const config& cfg, refusal& why);

/// True when the form's (or the x-csrf-token header's) token is this session's, compared in
/// constant time.
bool csrf_ok(const signed_in& s, std::string_view given);

}  // namespace salient::admin
