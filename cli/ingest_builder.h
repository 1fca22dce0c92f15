#pragma once
// Inside `salient ingest`'s extraction (ingest.h): the document_builder every reader writes
// into, the text helpers they share, and the readers themselves — HTML (ingest_html.cpp, gumbo),
// Markdown (ingest_markdown.cpp, md4c) and plain text (ingest_builder.cpp). Not for use outside
// the salient_ingest library.
#include <algorithm>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ingest.h"

namespace salient::cli::ingest_detail {

inline constexpr std::string_view path_separator = " \xE2\x80\xBA ";  // " › " (U+203A)
inline constexpr std::string_view replacement_char = "\xEF\xBF\xBD";  // U+FFFD

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

/// Code keeps its indentation: only blank lines around it go.
std::string_view trim_blank_lines(std::string_view s);

inline char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

/// `s` with each byte that is not part of well-formed UTF-8 replaced by U+FFFD. gumbo 0.10.1
/// turns an overflowing numeric reference ("&#xAAAAAAAAA;") into a stray byte, so everything
/// taken from its tree passes through here.
std::string repair_utf8(std::string_view s);

/// Appends `text` with each run of whitespace (U+00A0 included) as one space, none at the
/// start of the block or of a line.
void append_collapsed(std::string& out, std::string_view text);

/// GitHub's de-duplication: "x", then "x-1", "x-2", … (github-slugger).
class slugger {
 public:
  std::string unique(std::string base) {
    std::string slug = base;
    while (seen_.count(slug)) slug = base + "-" + std::to_string(++seen_[base]);
    seen_[slug] = 0;
    return slug;
  }
  /// An explicit anchor (an HTML id) is used as it is, and taken.
  std::string take(std::string id) {
    seen_.try_emplace(id, 0);
    return id;
  }

 private:
  std::map<std::string, int> seen_;
};

enum class block_kind { other, item, row };

/// Collects one document's blocks into sections. Text goes into the open block (add, add_verbatim,
/// line_break); end_block moves it into the current section; end_heading turns it into a heading
/// that opens the next section.
class document_builder {
 public:
  document_builder() { sections_.emplace_back(); }

  void add(std::string_view text) { append_collapsed(text_, text); }
  void add_verbatim(std::string_view text) { text_.append(text); }
  void line_break() {
    while (!text_.empty() && text_.back() == ' ') text_.pop_back();
    if (!text_.empty() && text_.back() != '\n') text_.push_back('\n');
  }
  bool block_empty() const { return trim(text_).empty(); }

  void end_block(block_kind kind, bool verbatim = false);
  /// The open block's text is the heading's. `id` is its explicit anchor (HTML), if any.
  void end_heading(int level, std::string_view id);
  std::vector<document_section> finish();

  std::string first_h1;

 private:
  std::string text_;
  std::vector<document_section> sections_;
  std::vector<std::pair<int, std::string>> stack_;  // open headings: level, text
  slugger slugs_;
  block_kind last_kind_ = block_kind::other;
};

// --- the readers ------------------------------------------------------------------------------

struct html_meta {
  std::string title, url, canonical;
};

/// HTML's text into `b`. `meta` is null for an HTML fragment inside Markdown, whose <title>,
/// <meta> and <link> say nothing about the document.
void walk_html(std::string_view html, document_builder& b, html_meta* meta);

/// "&eacute;" → "é", by the HTML5 rules (gumbo's entity table), for md4c's MD_TEXT_ENTITY.
std::string decode_entity(std::string_view entity);

struct front_matter {
  std::string title, url;
  std::size_t body = 0;  ///< where the Markdown starts
};

/// `---` on the first line, `key: value` lines, `---` (or `...`) on a line of its own. Without the
/// closing line it is not front matter (md4c reads the `---` as a rule).
front_matter read_front_matter(std::string_view text);

/// Markdown (after its front matter) into `b`.
void read_markdown(std::string_view markdown, document_builder& b);

/// The first non-empty line is the title (and a level-1 heading); blank lines end paragraphs,
/// whose lines stay lines.
void read_text(std::string_view text, document_builder& b);

}  // namespace salient::cli::ingest_detail
