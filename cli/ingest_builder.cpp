// The document_builder and the text helpers the readers share (ingest_builder.h), and the
// plain-text reader.
#include "ingest_builder.h"

#include "salient/core/http.h"

namespace salient::cli::ingest_detail {

std::string_view trim_blank_lines(std::string_view s) {
  std::size_t first_line = 0;
  for (std::size_t i = 0; i < s.size() && is_space(s[i]); ++i)
    if (s[i] == '\n') first_line = i + 1;
  s.remove_prefix(first_line);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string repair_utf8(std::string_view s) {
  std::string out;
  for (std::size_t bad; (bad = salient::first_invalid_utf8(s)) != std::string_view::npos; s.remove_prefix(bad + 1)) {
    out.append(s.substr(0, bad));
    out.append(replacement_char);
  }
  out.append(s);
  return out;
}

void append_collapsed(std::string& out, std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool space = is_space(c);
    if (c == '\xC2' && i + 1 < text.size() && text[i + 1] == '\xA0') {
      space = true;
      ++i;
    }
    if (!space) out.push_back(c);
    else if (!out.empty() && out.back() != ' ' && out.back() != '\n') out.push_back(' ');
  }
}

void document_builder::end_block(block_kind kind, bool verbatim) {
  std::string_view t = verbatim ? trim_blank_lines(text_) : trim(text_);
  if (!t.empty()) {
    std::string& s = sections_.back().text;
    if (!s.empty()) s += kind != block_kind::other && kind == last_kind_ ? "\n" : "\n\n";
    s += t;
    last_kind_ = kind;
  }
  text_.clear();
}

void document_builder::end_heading(int level, std::string_view id) {
  std::string text(trim(text_));
  text_.clear();
  if (text.empty()) return;
  for (char& c : text)
    if (c == '\n') c = ' ';
  if (level == 1 && first_h1.empty()) first_h1 = text;
  while (!stack_.empty() && stack_.back().first >= level) stack_.pop_back();
  stack_.emplace_back(level, text);
  document_section s;
  for (const auto& [l, t] : stack_) {
    if (!s.path.empty()) s.path += path_separator;
    s.path += t;
  }
  s.anchor = id.empty() ? slugs_.unique(heading_slug(text)) : slugs_.take(std::string(id));
  s.heading = std::move(text);
  sections_.push_back(std::move(s));
  last_kind_ = block_kind::other;
}

std::vector<document_section> document_builder::finish() {
  end_block(block_kind::other);
  std::erase_if(sections_, [](const document_section& s) { return s.text.empty(); });
  return std::move(sections_);
}

void read_text(std::string_view text, document_builder& b) {
  bool titled = false;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find_first_of("\r\n", at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = trim(text.substr(at, end - at));
    at = end;
    if (at < text.size() && text[at] == '\r') ++at;
    if (at < text.size() && text[at] == '\n') ++at;
    if (line.empty()) {
      b.end_block(block_kind::other);
    } else if (!titled) {
      b.add(line);
      b.end_heading(1, {});
      titled = true;
    } else {
      b.add(line);
      b.line_break();
    }
  }
}

}  // namespace salient::cli::ingest_detail
