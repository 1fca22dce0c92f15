#pragma once
// What the email template tests share (summary_templates.test.cpp, handoff_templates.test.cpp):
// substring checks, and an email's HTML brought to the form tests/support/html_safety.h reads.
//
// as_fragment: the body only, the attributes the templates write (style, id, role, …) removed and
// their structural tags (h1, dl, section, span, …) renamed to div. This is sound because an
// escaped value holds no `<` and no `"`: every tag and attribute left in the output is the
// template's, so what the scanner still rejects (a raw quote or `>` in text, an unknown tag, a
// bad href) came from a value.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <string_view>

namespace salient::test {

inline bool has(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

inline std::size_t count(std::string_view s, std::string_view part) {
  std::size_t n = 0;
  for (std::size_t at = s.find(part); at != std::string_view::npos; at = s.find(part, at + 1)) ++n;
  return n;
}

// Removes ` name="…"` attributes whose name is one of `names` or starts with "aria-".
inline std::string without_attributes(std::string html) {
  for (std::string_view name : {"style", "id", "role", "lang", "width", "cellpadding", "cellspacing", "align", "aria-"}) {
    std::string needle = " " + std::string(name);
    for (std::size_t at = html.find(needle); at != std::string::npos; at = html.find(needle, at)) {
      std::size_t eq = html.find("=\"", at);
      bool is_attr = eq != std::string::npos && html.find_first_of(" <>", at + 1) > eq;
      if (!is_attr) {
        ++at;
        continue;
      }
      html.erase(at, html.find('"', eq + 2) + 1 - at);
    }
  }
  return html;
}

inline std::string renamed_tags(std::string html) {
  for (std::string_view tag : {"h1", "h2", "main", "header", "section", "dl", "dt", "dd", "span"}) {
    for (std::string_view form : {"<", "</"}) {
      std::string from = std::string(form) + std::string(tag), to = std::string(form) + "div";
      for (std::size_t at = html.find(from); at != std::string::npos; at = html.find(from, at + to.size())) {
        char next = at + from.size() < html.size() ? html[at + from.size()] : '\0';
        if (next == '>' || next == ' ') html.replace(at, from.size(), to);
      }
    }
  }
  return html;
}

// The <body>'s content, in the form html_safety.h reads (see the top of this file).
inline std::string as_fragment(std::string_view html) {
  std::size_t body = html.find("<body");
  REQUIRE(body != std::string_view::npos);
  body = html.find('>', body) + 1;
  std::size_t end = html.find("</body>", body);
  REQUIRE(end != std::string_view::npos);
  return renamed_tags(without_attributes(std::string(html.substr(body, end - body))));
}

/// The whole line of `text` that holds `part`, or empty.
inline std::string_view line_of(std::string_view text, std::string_view part) {
  std::size_t at = text.find(part);
  if (at == std::string_view::npos) return {};
  std::size_t start = text.rfind('\n', at);
  start = start == std::string_view::npos ? 0 : start + 1;
  return text.substr(start, text.find('\n', at) - start);
}

}  // namespace salient::test
