#include "html_text.h"

#include "markdown.h"

namespace salient::widget::detail {

void escape(std::string& out, const char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    switch (p[i]) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += p[i];
    }
  }
}
void escape(std::string& out, std::string_view s) { escape(out, s.data(), s.size()); }

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// One entity from a link destination, as the browser would decode it inside an href. Numeric
// ones fully; named ones only for the characters that spell URL syntax (enough to see through
// `javascript&colon;`). An unknown name stays as written: we then emit its `&` escaped, so the
// browser reads the same literal text we checked.
void decode_entity(std::string& out, std::string_view e) {
  std::string_view body = e.substr(1, e.size() - 2);  // md4c guarantees "&…;"
  if (!body.empty() && body[0] == '#') {
    std::uint32_t cp = 0;
    bool hex = body.size() > 1 && (body[1] | 0x20) == 'x';
    for (std::size_t i = hex ? 2 : 1; i < body.size(); ++i) {
      char c = body[i];
      unsigned d = is_digit(c) ? unsigned(c - '0') : unsigned((c | 0x20) - 'a' + 10);
      cp = cp * (hex ? 16 : 10) + d;
      if (cp > 0x10FFFF) break;
    }
    // What HTML does with the impossible ones: U+FFFD.
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    append_utf8(out, cp);
    return;
  }
  static constexpr struct { const char* name; char c; } named[] = {
      {"amp", '&'},  {"lt", '<'},     {"gt", '>'},      {"quot", '"'},   {"apos", '\''},  {"colon", ':'},
      {"Tab", '\t'}, {"NewLine", '\n'}, {"sol", '/'},   {"bsol", '\\'},  {"period", '.'}, {"num", '#'},
      {"quest", '?'}, {"equals", '='}, {"commat", '@'}, {"percnt", '%'}, {"plus", '+'},   {"lpar", '('},
      {"rpar", ')'}, {"semi", ';'},   {"comma", ','},   {"excl", '!'},   {"hyphen", '-'}, {"lowbar", '_'}};
  for (const auto& n : named) {
    if (body == n.name) {
      out += n.c;
      return;
    }
  }
  out.append(e);
}

std::string safe_href(std::string_view url) {
  // What the URL parser does first: trim C0 controls and spaces at both ends, drop every tab
  // and newline (which is how `java\tscript:` still runs).
  while (!url.empty() && static_cast<unsigned char>(url.front()) <= 0x20) url.remove_prefix(1);
  while (!url.empty() && static_cast<unsigned char>(url.back()) <= 0x20) url.remove_suffix(1);
  std::string s;
  for (char c : url)
    if (c != '\t' && c != '\n' && c != '\r') s += c;
  if (s.empty()) return s;
  // A scheme is [A-Za-z][A-Za-z0-9+.-]* followed by ':'; anything else has none (relative).
  if (is_alpha(s[0])) {
    std::size_t i = 1;
    while (i < s.size() && (is_alnum(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')) ++i;
    if (i < s.size() && s[i] == ':') {
      std::string scheme;
      for (std::size_t k = 0; k < i; ++k) scheme += static_cast<char>(s[k] | 0x20);
      if (scheme != "http" && scheme != "https" && scheme != "mailto") return {};
    }
  }
  // Spaces and other controls would be percent-encoded by the browser anyway; doing it here
  // keeps the attribute plain.
  std::string href;
  static constexpr char hex[] = "0123456789ABCDEF";
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b == 0x7F) {
      href += '%';
      href += hex[b >> 4];
      href += hex[b & 15];
    } else {
      href += c;
    }
  }
  return href;
}

}  // namespace salient::widget::detail
