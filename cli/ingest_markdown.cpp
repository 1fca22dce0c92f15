// Markdown → document sections, with md4c (GitHub dialect), after its front matter
// (ingest_builder.h). HTML blocks inside it go through the HTML reader.
#include <md4c.h>

#include "ingest_builder.h"

namespace salient::cli::ingest_detail {
namespace {

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '\\' && i + 1 < v.size() && (v[i + 1] == '"' || v[i + 1] == '\\')) ++i;  // "a \"b\""
      out.push_back(v[i]);
    }
    return out;
  }
  return std::string(v);
}

class markdown_reader {
 public:
  explicit markdown_reader(document_builder& b) : b_(b) {}

  void parse(std::string_view markdown) {
    // md4c 0.4.8 can read one byte past the end of its input (valgrind, on an HTML block at the
    // very end; under the fuzzer the stray byte then stretched a text span past the end too).
    // A NUL-terminated copy makes that byte a NUL, which ends every construct.
    const std::string text(markdown);
    MD_PARSER parser{};
    parser.abi_version = 0;
    parser.flags = MD_DIALECT_GITHUB;
    parser.enter_block = [](MD_BLOCKTYPE t, void* d, void* self) { return static_cast<markdown_reader*>(self)->enter_block(t, d); };
    parser.leave_block = [](MD_BLOCKTYPE t, void* d, void* self) { return static_cast<markdown_reader*>(self)->leave_block(t, d); };
    parser.enter_span = [](MD_SPANTYPE t, void*, void* self) { return static_cast<markdown_reader*>(self)->span(t, +1); };
    parser.leave_span = [](MD_SPANTYPE t, void*, void* self) { return static_cast<markdown_reader*>(self)->span(t, -1); };
    parser.text = [](MD_TEXTTYPE t, const MD_CHAR* s, MD_SIZE n, void* self) {
      return static_cast<markdown_reader*>(self)->text(t, std::string_view(s, n));
    };
    md_parse(text.data(), static_cast<MD_SIZE>(text.size()), &parser, this);
  }

 private:
  block_kind kind() const {
    for (auto it = open_.rbegin(); it != open_.rend(); ++it) {
      if (*it == MD_BLOCK_TR) return block_kind::row;
      if (*it == MD_BLOCK_LI) return block_kind::item;
    }
    return block_kind::other;
  }

  int enter_block(MD_BLOCKTYPE type, void*) {
    switch (type) {
      case MD_BLOCK_DOC:
        break;
      case MD_BLOCK_TH:
      case MD_BLOCK_TD:
        if (cells_++ > 0) b_.add(" | ");
        break;
      case MD_BLOCK_HTML:
        b_.end_block(kind());
        html_.clear();
        break;
      default:
        b_.end_block(kind());
        if (type == MD_BLOCK_TR) cells_ = 0;
    }
    open_.push_back(type);
    return 0;
  }

  int leave_block(MD_BLOCKTYPE type, void* detail) {
    switch (type) {
      case MD_BLOCK_DOC:
      case MD_BLOCK_TH:
      case MD_BLOCK_TD:
        break;
      case MD_BLOCK_H:
        b_.end_heading(static_cast<int>(static_cast<MD_BLOCK_H_DETAIL*>(detail)->level), {});
        break;
      case MD_BLOCK_CODE:
        b_.end_block(kind(), true);
        break;
      case MD_BLOCK_HTML:
        walk_html(html_, b_, nullptr);  // its text, by gumbo's rules (headings included)
        b_.end_block(kind());
        html_.clear();
        break;
      default:
        b_.end_block(kind());
    }
    if (!open_.empty()) open_.pop_back();
    return 0;
  }

  int span(MD_SPANTYPE type, int delta) {
    if (type == MD_SPAN_IMG) images_ += delta;  // alt text is left out
    return 0;
  }

  int text(MD_TEXTTYPE type, std::string_view s) {
    if (images_ > 0) return 0;
    bool in_heading = !open_.empty() && open_.back() == MD_BLOCK_H;
    switch (type) {
      case MD_TEXT_HTML:
        if (!open_.empty() && open_.back() == MD_BLOCK_HTML) html_.append(s);
        break;  // inline tags are dropped, the text between them is kept
      case MD_TEXT_CODE:
        if (!open_.empty() && open_.back() == MD_BLOCK_CODE) b_.add_verbatim(s);
        else b_.add(s);
        break;
      case MD_TEXT_NULLCHAR:
        b_.add(replacement_char);
        break;
      case MD_TEXT_BR:
        if (in_heading) b_.add(" ");
        else b_.line_break();
        break;
      case MD_TEXT_SOFTBR:
        b_.add(" ");
        break;
      case MD_TEXT_ENTITY:
        b_.add(decode_entity(s));
        break;
      default:
        b_.add(s);
    }
    return 0;
  }

  document_builder& b_;
  std::vector<MD_BLOCKTYPE> open_;
  std::string html_;
  int cells_ = 0, images_ = 0;
};

}  // namespace

front_matter read_front_matter(std::string_view text) {
  front_matter fm;
  auto next_line = [&](std::size_t& at) {
    std::size_t end = text.find('\n', at);
    std::string_view line = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    at = end == std::string_view::npos ? text.size() : end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    return line;
  };
  std::size_t at = 0;
  if (next_line(at) != "---") return fm;
  std::string title, url;
  while (at < text.size()) {
    std::string_view line = next_line(at);
    if (line == "---" || line == "...") {
      fm.title = std::move(title);
      fm.url = std::move(url);
      fm.body = at;
      return fm;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || line.empty() || is_space(line.front())) continue;
    std::string_view key = trim(line.substr(0, colon));
    std::string value = unquote(trim(line.substr(colon + 1)));
    if (key == "title") title = std::move(value);
    else if (key == "url") url = std::move(value);
  }
  return fm;
}

void read_markdown(std::string_view markdown, document_builder& b) { markdown_reader(b).parse(markdown); }

}  // namespace salient::cli::ingest_detail
