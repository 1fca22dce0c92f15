#pragma once
// HTML text for the markdown renderer: escaping, the character classes of URL schemes, and the
// entities a link destination may hide its scheme behind.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace salient::widget::detail {

void escape(std::string& out, const char* p, std::size_t n);
void escape(std::string& out, std::string_view s);

inline bool is_alpha(char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

void append_utf8(std::string& out, std::uint32_t cp);

/// One entity (`&…;`, as md4c reports it) decoded as the browser would inside an href.
void decode_entity(std::string& out, std::string_view entity);

}  // namespace salient::widget::detail
