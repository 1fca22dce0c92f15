#pragma once
// One-time codes as the core makes and checks them: 6 digits from the CSPRNG, and keyed hashes
// (HMAC-SHA256 with SALIENT_OTP_SECRET) of everything the state store must compare or count
// without holding it in clear: the code (bound to tenant, purpose, address and session), the
// address, the client's IP. The rules (expiry, tries, windows) are db/functions/otp.sql's.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "salient/core/entropy.h"

namespace salient::otp {

inline constexpr int code_digits = 6;
inline constexpr int valid_minutes = 10;     // db/functions/otp.sql gives a code 10 minutes
inline constexpr int resend_after_s = 60;    // the forms offer a new code after this
inline constexpr std::size_t min_secret_bytes = 32;
/// What a visitor agrees to when they verify an address for their conversation (consents row).
inline constexpr std::string_view link_consent_version = "link-session-v1";
inline constexpr std::string_view link_consent_text =
    "By verifying, you agree that we keep this address with your conversations so that our team can reply. "
    "You can erase it at any time on the privacy page.";
/// What the stored copy of a code email shows in place of the code.
inline constexpr std::string_view masked_code = "\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2";

/// Six decimal digits, uniform (rejection sampling over 32-bit draws).
std::string new_code(entropy& rng);

/// The code a visitor typed or pasted, spaces and dashes dropped: nullopt unless 6 digits remain.
std::optional<std::string> read_code(std::string_view typed);

/// The client address as the per-IP limit counts it: IPv4 whole (also when written IPv4-mapped,
/// "::ffff:203.0.113.7"); IPv6 by its /64 prefix ("2001:db8:0:1::/64"), which one client holds
/// whole and can walk through at will.
std::string ip_for_limits(std::string_view ip);

/// Hex HMAC-SHA256 keyed with `secret` over the parts, each length-prefixed (no two different
/// part lists hash alike). `kind` separates the uses ("code", "email", "ip").
std::string keyed_hash(std::string_view secret, std::string_view kind, std::initializer_list<std::string_view> parts);

}  // namespace salient::otp
