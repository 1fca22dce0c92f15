#pragma once
// Email addresses as Salient accepts them: from visitors (one-time codes) and from salient.yaml
// (the sender). A deliberately plain subset of RFC 5321: ASCII, one '@', a dot-atom local part,
// a domain of letters, digits and hyphens with a dot. No quoted local parts, comments or IP
// literals: what a visitor types into a form, and nothing that could carry a header line.
#include <optional>
#include <string>
#include <string_view>

namespace salient {

/// True when `s` is such an address, as written (no surrounding spaces).
bool is_email_address(std::string_view s);

/// The address as stored and compared: surrounding spaces trimmed, lower-cased. nullopt when it
/// is not an address (is_email_address).
std::optional<std::string> normalize_email(std::string_view s);

/// True when `s` holds no CR, LF or NUL: safe inside an email header line.
bool is_header_safe(std::string_view s);

}  // namespace salient
