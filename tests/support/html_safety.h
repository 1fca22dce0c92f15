#pragma once
// A small scanner over the widget renderer's HTML (widget/core/markdown.h) that says whether
// inserting it with innerHTML could create anything the renderer is not meant to write: an
// unknown tag, any attribute outside the renderer's own, an href with a scheme other than
// http/https/mailto, or a `<` / quote in text that a parser could read as markup. Shared by
// tests/core/widget_markdown.test.cpp and tests/fuzz/widget_markdown_fuzz.cpp.
//
// It is deliberately strict about the renderer's exact output form (double-quoted values,
// lowercase names), so it also catches changes to that form: update both together.
#include <cctype>
#include <initializer_list>
#include <utility>
#include <string>
#include <string_view>

namespace salient::test {

namespace html_safety_detail {

inline bool one_of(std::string_view s, std::initializer_list<std::string_view> list) {
  for (auto x : list)
    if (s == x) return true;
  return false;
}

// The value as the browser reads it: the renderer only ever escapes with these five.
inline std::string unescape(std::string_view v) {
  std::string s;
  for (std::size_t i = 0; i < v.size();) {
    bool hit = false;
    for (auto [e, c] : {std::pair<std::string_view, char>{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'},
                        {"&quot;", '"'}, {"&#39;", '\''}}) {
      if (v.substr(i, e.size()) == e) {
        s += c;
        i += e.size();
        hit = true;
        break;
      }
    }
    if (!hit) s += v[i++];
  }
  return s;
}

// Same reading of a URL as a browser's: leading C0/space trimmed, tabs and newlines dropped,
// then a scheme is [A-Za-z][A-Za-z0-9+.-]* before ':'.
inline bool href_ok(std::string_view raw) {
  // Every '&' must be one of the renderer's own escapes: any other entity would be decoded
  // by the browser into something this check did not see.
  for (std::size_t a = raw.find('&'); a != std::string_view::npos; a = raw.find('&', a + 1)) {
    std::string_view r = raw.substr(a);
    if (!(r.starts_with("&amp;") || r.starts_with("&lt;") || r.starts_with("&gt;") || r.starts_with("&quot;") ||
          r.starts_with("&#39;")))
      return false;
  }
  std::string v = unescape(raw);
  std::string s;
  std::size_t i = 0;
  while (i < v.size() && static_cast<unsigned char>(v[i]) <= 0x20) ++i;
  for (; i < v.size(); ++i)
    if (v[i] != '\t' && v[i] != '\n' && v[i] != '\r') s += v[i];
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return true;  // relative, /x, #x, //x
  std::size_t k = 1;
  while (k < s.size() && (std::isalnum(static_cast<unsigned char>(s[k])) || s[k] == '+' || s[k] == '-' || s[k] == '.')) ++k;
  if (k == s.size() || s[k] != ':') return true;  // no scheme
  std::string scheme;
  for (std::size_t j = 0; j < k; ++j) scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(s[j])));
  return one_of(scheme, {"http", "https", "mailto"});
}

}  // namespace html_safety_detail

/// Empty if `html` is safe by the rules above, else what is wrong (and where).
inline std::string html_safety_problem(std::string_view html) {
  using namespace html_safety_detail;
  auto fail = [&](std::size_t at, std::string_view what) {
    return std::string(what) + " at " + std::to_string(at) + ": " + std::string(html.substr(at, 60));
  };
  for (std::size_t i = 0; i < html.size();) {
    char c = html[i];
    if (c == '"' || c == '\'' || c == '>') return fail(i, "raw quote or > in text");
    if (c == '&') {
      // Text may hold entities (the browser decodes them into text), never a bare '&'.
      std::size_t j = i + 1;
      while (j < html.size() && (std::isalnum(static_cast<unsigned char>(html[j])) || html[j] == '#')) ++j;
      if (j == i + 1 || j >= html.size() || html[j] != ';') return fail(i, "bare &");
      i = j + 1;
      continue;
    }
    if (c != '<') {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    bool closing = j < html.size() && html[j] == '/';
    if (closing) ++j;
    std::size_t name_start = j;
    while (j < html.size() && ((html[j] >= 'a' && html[j] <= 'z') || (html[j] >= '0' && html[j] <= '9'))) ++j;
    std::string_view name = html.substr(name_start, j - name_start);
    if (!one_of(name, {"p", "h3", "h4", "h5", "h6", "em", "strong", "del", "code", "blockquote", "hr", "br",
                       "ul", "ol", "li", "input", "table", "thead", "tbody", "tr", "th", "td", "a", "div",
                       "button", "pre", "b", "i", "u", "s", "sub", "sup", "kbd", "mark", "small"}))
      return fail(i, "tag not allowed");
    // Attributes: ` name` or ` name="value"` (value without < " '), then '>'.
    while (j < html.size() && html[j] == ' ') {
      ++j;
      std::size_t a = j;
      while (j < html.size() && ((html[j] >= 'a' && html[j] <= 'z') || html[j] == '-')) ++j;
      std::string_view attr = html.substr(a, j - a);
      if (closing || !one_of(attr, {"href", "rel", "target", "class", "type", "start", "disabled", "checked",
                                    "data-copy"}))
        return fail(a, "attribute not allowed");
      if (j < html.size() && html[j] == '=') {
        if (++j >= html.size() || html[j] != '"') return fail(j, "unquoted attribute value");
        std::size_t v = ++j;
        while (j < html.size() && html[j] != '"') {
          if (html[j] == '<' || html[j] == '\'' || html[j] == '>') return fail(j, "markup in attribute value");
          ++j;
        }
        if (j >= html.size()) return fail(v, "unterminated attribute value");
        std::string_view value = html.substr(v, j - v);
        ++j;
        if (attr == "href" && !href_ok(value)) return fail(v, "href scheme not allowed");
        if (attr == "rel" && value != "noopener noreferrer") return fail(v, "rel");
        if (attr == "target" && value != "_blank") return fail(v, "target");
      }
    }
    if (j >= html.size() || html[j] != '>') return fail(i, "malformed tag");
    i = j + 1;
  }
  return {};
}

}  // namespace salient::test
