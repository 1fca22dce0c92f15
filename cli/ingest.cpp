#include "ingest.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <system_error>
#include <utility>

#include <gumbo.h>
#include <md4c.h>

#include "salient/core/http.h"

namespace salient::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view path_separator = " \xE2\x80\xBA ";  // " › " (U+203A)
constexpr std::string_view replacement_char = "\xEF\xBF\xBD";  // U+FFFD

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

/// Code keeps its indentation: only blank lines around it go.
std::string_view trim_blank_lines(std::string_view s) {
  std::size_t first_line = 0;
  for (std::size_t i = 0; i < s.size() && is_space(s[i]); ++i)
    if (s[i] == '\n') first_line = i + 1;
  s.remove_prefix(first_line);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

/// `s` with each byte that is not part of well-formed UTF-8 replaced by U+FFFD. gumbo 0.10.1
/// turns an overflowing numeric reference ("&#xAAAAAAAAA;") into a stray byte, so everything
/// taken from its tree passes through here.
std::string repair_utf8(std::string_view s) {
  std::string out;
  for (std::size_t bad; (bad = salient::first_invalid_utf8(s)) != std::string_view::npos; s.remove_prefix(bad + 1)) {
    out.append(s.substr(0, bad));
    out.append(replacement_char);
  }
  out.append(s);
  return out;
}

std::string where(std::string_view bytes, std::size_t at) {
  std::size_t line = 1 + static_cast<std::size_t>(std::count(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  return "line " + std::to_string(line) + ", byte " + std::to_string(at + 1);
}

/// Appends `text` with each run of whitespace (U+00A0 included) as one space, none at the
/// start of the block or of a line.
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

  void end_block(block_kind kind, bool verbatim = false) {
    std::string_view t = verbatim ? trim_blank_lines(text_) : trim(text_);
    if (!t.empty()) {
      std::string& s = sections_.back().text;
      if (!s.empty()) s += kind != block_kind::other && kind == last_kind_ ? "\n" : "\n\n";
      s += t;
      last_kind_ = kind;
    }
    text_.clear();
  }

  /// The open block's text is the heading's. `id` is its explicit anchor (HTML), if any.
  void end_heading(int level, std::string_view id) {
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

  std::vector<document_section> finish() {
    end_block(block_kind::other);
    std::erase_if(sections_, [](const document_section& s) { return s.text.empty(); });
    return std::move(sections_);
  }

  std::string first_h1;

 private:
  std::string text_;
  std::vector<document_section> sections_;
  std::vector<std::pair<int, std::string>> stack_;  // open headings: level, text
  slugger slugs_;
  block_kind last_kind_ = block_kind::other;
};

// --- HTML (gumbo) ------------------------------------------------------------------------------

struct html_meta {
  std::string title, url, canonical;
};

const GumboAttribute* attribute(const GumboNode* node, const char* name) {
  return gumbo_get_attribute(&node->v.element.attributes, name);
}

std::string attribute_value(const GumboNode* node, const char* name) {
  const GumboAttribute* a = attribute(node, name);
  return a ? repair_utf8(a->value) : std::string();
}

bool skipped_tag(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_NAV: case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_HEADER: case GUMBO_TAG_ASIDE: case GUMBO_TAG_NOSCRIPT: case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_SVG: case GUMBO_TAG_HEAD:
      return true;
    default:
      return false;
  }
}

int heading_level(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_H1: return 1;
    case GUMBO_TAG_H2: return 2;
    case GUMBO_TAG_H3: return 3;
    case GUMBO_TAG_H4: return 4;
    case GUMBO_TAG_H5: return 5;
    case GUMBO_TAG_H6: return 6;
    default: return 0;
  }
}

/// Elements whose start and end end a block of text (the others are inline).
bool block_tag(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_ADDRESS: case GUMBO_TAG_ARTICLE: case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_BODY:
    case GUMBO_TAG_CAPTION: case GUMBO_TAG_CENTER: case GUMBO_TAG_DD: case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_DIV: case GUMBO_TAG_DL: case GUMBO_TAG_DT:
    case GUMBO_TAG_FIELDSET: case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_FIGURE: case GUMBO_TAG_FORM:
    case GUMBO_TAG_HGROUP: case GUMBO_TAG_HR: case GUMBO_TAG_HTML: case GUMBO_TAG_LEGEND:
    case GUMBO_TAG_LI: case GUMBO_TAG_MAIN: case GUMBO_TAG_MENU: case GUMBO_TAG_OL: case GUMBO_TAG_P:
    case GUMBO_TAG_PRE: case GUMBO_TAG_SECTION: case GUMBO_TAG_SUMMARY: case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TBODY: case GUMBO_TAG_TFOOT: case GUMBO_TAG_THEAD: case GUMBO_TAG_TR: case GUMBO_TAG_UL:
      return true;
    default:
      return false;
  }
}

bool has_token(std::string_view list, std::string_view token) {  // rel="canonical alternate"
  while (!list.empty()) {
    while (!list.empty() && is_space(list.front())) list.remove_prefix(1);
    std::size_t end = 0;
    while (end < list.size() && !is_space(list[end])) ++end;
    if (end > 0 && iequals(list.substr(0, end), token)) return true;
    list.remove_prefix(end);
  }
  return false;
}

std::string collapsed_text(const GumboNode* node) {  // <title>'s text
  std::string out;
  const GumboVector& children = node->v.element.children;
  for (unsigned i = 0; i < children.length; ++i) {
    const auto* child = static_cast<const GumboNode*>(children.data[i]);
    if (child->type == GUMBO_NODE_TEXT || child->type == GUMBO_NODE_WHITESPACE || child->type == GUMBO_NODE_CDATA)
      append_collapsed(out, repair_utf8(child->v.text.text));
  }
  return std::string(trim(out));
}

/// Walks gumbo's tree into `b` (iteratively: an HTML tree can be as deep as its input is long).
/// `meta` is null for an HTML fragment inside Markdown, whose <title>, <meta> and <link> say
/// nothing about the document.
class html_walker {
 public:
  html_walker(document_builder& b, html_meta* meta) : b_(b), meta_(meta) {}

  void walk(const GumboNode* root) {
    struct frame {
      const GumboNode* node;
      bool leaving;
    };
    std::vector<frame> stack{{root, false}};
    while (!stack.empty()) {
      frame f = stack.back();
      stack.pop_back();
      if (f.leaving) {
        leave(f.node);
        continue;
      }
      if (!enter(f.node)) continue;
      stack.push_back({f.node, true});
      const GumboVector& children =
          f.node->type == GUMBO_NODE_DOCUMENT ? f.node->v.document.children : f.node->v.element.children;
      for (unsigned i = children.length; i-- > 0;) stack.push_back({static_cast<const GumboNode*>(children.data[i]), false});
    }
  }

 private:
  block_kind kind() const { return rows_ > 0 ? block_kind::row : items_ > 0 ? block_kind::item : block_kind::other; }

  /// A block boundary: ends the open block, except inside a heading or a table row, whose
  /// text stays on one line.
  void boundary() {
    if (heading_ > 0 || rows_ > 0) b_.add(" ");
    else b_.end_block(kind(), pre_ > 0);
  }

  bool enter(const GumboNode* node) {
    switch (node->type) {
      case GUMBO_NODE_DOCUMENT:
        return true;
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_CDATA:
      case GUMBO_NODE_WHITESPACE:
        if (pre_ > 0) b_.add_verbatim(repair_utf8(node->v.text.text));
        else b_.add(repair_utf8(node->v.text.text));
        return false;
      case GUMBO_NODE_ELEMENT:
        break;
      default:  // comments, <template> contents
        return false;
    }
    GumboTag tag = node->v.element.tag;
    if (tag == GUMBO_TAG_HEAD && meta_) return true;  // for <title>, <meta>, <link>
    if (tag == GUMBO_TAG_TITLE || tag == GUMBO_TAG_META || tag == GUMBO_TAG_LINK) {
      if (meta_) read_meta(node);
      return false;
    }
    if (skipped_tag(tag) || attribute(node, "hidden")) return false;
    if (tag == GUMBO_TAG_BR) {
      if (heading_ > 0 || rows_ > 0) b_.add(" ");
      else b_.line_break();
      return false;
    }
    if (tag == GUMBO_TAG_IMG) return false;
    if (int level = heading_level(tag); level > 0) {
      if (heading_ == 0 && rows_ == 0) b_.end_block(kind(), pre_ > 0);
      else b_.add(" ");
      ++heading_;
      return true;
    }
    if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) {
      if (rows_ > 0 && !b_.block_empty()) b_.add(" | ");
      return true;
    }
    if (block_tag(tag)) boundary();
    if (tag == GUMBO_TAG_TR) ++rows_;
    if (tag == GUMBO_TAG_LI) ++items_;
    if (tag == GUMBO_TAG_PRE) ++pre_;
    return true;
  }

  void leave(const GumboNode* node) {
    if (node->type != GUMBO_NODE_ELEMENT) return;
    GumboTag tag = node->v.element.tag;
    if (tag == GUMBO_TAG_HEAD) return;
    if (int level = heading_level(tag); level > 0) {
      if (--heading_ == 0 && rows_ == 0) b_.end_heading(level, attribute_value(node, "id"));
      else b_.add(" ");
      return;
    }
    if (tag == GUMBO_TAG_TR) {
      if (--rows_ == 0 && heading_ == 0) b_.end_block(block_kind::row);
      else b_.add(" ");
      return;
    }
    if (block_tag(tag)) {
      bool was_pre = pre_ > 0;
      if (tag == GUMBO_TAG_PRE) --pre_;
      if (heading_ > 0 || rows_ > 0) b_.add(" ");
      else b_.end_block(tag == GUMBO_TAG_LI ? block_kind::item : kind(), was_pre);
    }
    if (tag == GUMBO_TAG_LI) --items_;
  }

  void read_meta(const GumboNode* node) {
    GumboTag tag = node->v.element.tag;
    if (tag == GUMBO_TAG_TITLE) {
      if (meta_->title.empty()) meta_->title = collapsed_text(node);
    } else if (tag == GUMBO_TAG_META) {
      if (meta_->url.empty() && iequals(attribute_value(node, "name"), "salient:url"))
        meta_->url = trim(std::string_view(attribute_value(node, "content")));
    } else if (meta_->canonical.empty() && has_token(attribute_value(node, "rel"), "canonical")) {
      meta_->canonical = trim(std::string_view(attribute_value(node, "href")));
    }
  }

  document_builder& b_;
  html_meta* meta_;
  int heading_ = 0, rows_ = 0, items_ = 0, pre_ = 0;
};

class gumbo_document {
 public:
  explicit gumbo_document(std::string_view html) : options_(kGumboDefaultOptions) {
    options_.max_errors = 0;  // the parse errors are not used
    output_ = gumbo_parse_with_options(&options_, html.data(), html.size());
  }
  ~gumbo_document() {
    if (output_) gumbo_destroy_output(&options_, output_);
  }
  gumbo_document(const gumbo_document&) = delete;
  gumbo_document& operator=(const gumbo_document&) = delete;

  const GumboNode* root() const { return output_ ? output_->document : nullptr; }

 private:
  GumboOptions options_;
  GumboOutput* output_ = nullptr;
};

void walk_html(std::string_view html, document_builder& b, html_meta* meta) {
  gumbo_document doc(html);
  if (doc.root()) html_walker(b, meta).walk(doc.root());
}

/// "&eacute;" → "é", by the HTML5 rules (gumbo's entity table), for md4c's MD_TEXT_ENTITY
/// (an entity alone: the tree is html > head, body > text).
std::string decode_entity(std::string_view entity) {
  gumbo_document doc(entity);
  std::string out;
  std::vector<const GumboNode*> stack;
  if (doc.root()) stack.push_back(doc.root());
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE) {
      out += node->v.text.text;
      continue;
    }
    const GumboVector* children = node->type == GUMBO_NODE_DOCUMENT ? &node->v.document.children
                                  : node->type == GUMBO_NODE_ELEMENT ? &node->v.element.children
                                                                     : nullptr;
    if (!children) continue;
    for (unsigned i = children->length; i-- > 0;) stack.push_back(static_cast<const GumboNode*>(children->data[i]));
  }
  return out.empty() ? std::string(entity) : repair_utf8(out);
}

// --- Markdown (md4c) -----------------------------------------------------------------------------

struct front_matter {
  std::string title, url;
  std::size_t body = 0;  ///< where the Markdown starts
};

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

/// `---` on the first line, `key: value` lines, `---` (or `...`) on a line of its own. Without the
/// closing line it is not front matter (md4c reads the `---` as a rule).
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

// --- Plain text --------------------------------------------------------------------------------

/// The first non-empty line is the title (and a level-1 heading); blank lines end paragraphs,
/// whose lines stay lines.
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

std::string file_stem(std::string_view source) {
  std::size_t slash = source.rfind('/');
  std::string_view name = slash == std::string_view::npos ? source : source.substr(slash + 1);
  std::size_t dot = name.rfind('.');
  if (dot != std::string_view::npos && dot > 0) name = name.substr(0, dot);
  return std::string(name);
}

// --- Chunking ----------------------------------------------------------------------------------

/// Where to end a chunk of `buf` (longer than `limit`): before the last line break in the
/// second half of the first `limit` bytes, else the last space or tab there, else at the last
/// UTF-8 character boundary at or before `limit`.
std::size_t cut_point(std::string_view buf, std::size_t limit) {
  std::size_t half = limit / 2;
  for (std::size_t i = limit; i > half; --i)
    if (buf[i] == '\n') return i;
  for (std::size_t i = limit; i > half; --i)
    if (buf[i] == ' ' || buf[i] == '\t') return i;
  std::size_t i = limit;
  while (i > 0 && (static_cast<unsigned char>(buf[i]) & 0xC0) == 0x80) --i;
  return i;
}

}  // namespace

std::optional<source_format> format_of(std::string_view file_name) {
  std::size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view ext = file_name.substr(dot + 1);
  if (iequals(ext, "md") || iequals(ext, "markdown")) return source_format::markdown;
  if (iequals(ext, "html") || iequals(ext, "htm")) return source_format::html;
  if (iequals(ext, "txt")) return source_format::text;
  return std::nullopt;
}

std::string heading_slug(std::string_view heading) {
  std::string out;
  for (std::size_t i = 0; i < heading.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(heading[i]);
    if (c < 0x80) {
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') out.push_back(static_cast<char>(c));
      else if (c >= 'A' && c <= 'Z') out.push_back(static_cast<char>(c - 'A' + 'a'));
      else if (c == ' ') out.push_back('-');
      continue;
    }
    std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    std::string_view ch = heading.substr(i, len);
    i += ch.size() - 1;
    // Punctuation GitHub drops: Latin-1 U+00A0–U+00BF, General Punctuation U+2000–U+206F
    // (dashes, quotes, ellipsis), CJK symbols and punctuation U+3000–U+303F.
    auto u = [&](std::size_t k) { return k < ch.size() ? static_cast<unsigned char>(ch[k]) : 0u; };
    bool punct = (u(0) == 0xC2 && u(1) >= 0xA0 && u(1) <= 0xBF) ||
                 (u(0) == 0xE2 && u(1) >= 0x80 && u(1) <= 0x81) ||  // U+2000–U+207F; U+2070+ are super/subscripts
                 (u(0) == 0xE3 && u(1) == 0x80);
    if (u(0) == 0xE2 && u(1) == 0x81 && u(2) >= 0xB0) punct = false;  // keep U+2070–U+207F
    if (!punct) out.append(ch);
  }
  return out;
}

result<source_document> extract_document(std::string_view bytes, source_format format, std::string_view source) {
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);  // a byte order mark
  if (std::size_t nul = bytes.find('\0'); nul != std::string_view::npos)
    return make_error(errc::bad_request, "contains a NUL byte (" + where(bytes, nul) + "): not a text file?");
  if (std::size_t bad = salient::first_invalid_utf8(bytes); bad != std::string_view::npos)
    return make_error(errc::bad_request, "not valid UTF-8 (" + where(bytes, bad) + "): save it as UTF-8");

  source_document doc;
  doc.source = source;
  document_builder b;
  std::string title;
  switch (format) {
    case source_format::markdown: {
      front_matter fm = read_front_matter(bytes);
      title = std::move(fm.title);
      doc.url = std::move(fm.url);
      markdown_reader(b).parse(bytes.substr(fm.body));
      break;
    }
    case source_format::html: {
      html_meta meta;
      walk_html(bytes, b, &meta);
      title = std::move(meta.title);
      doc.url = !meta.url.empty() ? std::move(meta.url) : std::move(meta.canonical);
      break;
    }
    case source_format::text:
      read_text(bytes, b);
      break;
  }
  doc.sections = b.finish();
  doc.title = !title.empty() ? std::move(title) : !b.first_h1.empty() ? b.first_h1 : file_stem(source);
  return doc;
}

std::vector<knowledge_chunk> chunk_document(const source_document& doc, const chunk_options& options) {
  const std::size_t limit = std::max<std::size_t>(options.max_tokens, 16) * bytes_per_token;
  const std::size_t overlap = std::min(options.overlap_tokens * bytes_per_token, limit / 4);
  const std::size_t min_fill = limit / 4;
  const std::string base_url = doc.url.substr(0, doc.url.find('#'));

  std::vector<knowledge_chunk> out;
  std::string buf;  // the chunk being filled; never starts with whitespace
  struct mark {
    std::size_t at;
    const document_section* section;
  };
  std::vector<mark> marks;  // where each section's text starts in buf; marks[0].at == 0

  auto emit = [&](std::size_t length) {
    std::string_view text = trim(std::string_view(buf).substr(0, length));
    if (text.empty()) return;
    const document_section& s = *marks.front().section;
    std::string url;
    if (!base_url.empty()) url = s.anchor.empty() ? base_url : base_url + "#" + s.anchor;
    out.push_back({doc.source, doc.title, s.path, std::move(url), std::string(text)});
  };
  // Ends a chunk inside buf and keeps the rest, with the overlap, for the next one.
  auto cut = [&] {
    std::size_t p = cut_point(buf, limit);
    emit(p);
    std::size_t start = p;
    if (overlap > 0) {
      for (std::size_t i = p - overlap - 1; i < p; ++i)
        if (is_space(buf[i])) {
          start = i;
          break;
        }
    }
    while (start < buf.size() && is_space(buf[start])) ++start;
    std::vector<mark> kept;
    for (const mark& m : marks) {
      if (m.at <= start) kept.assign(1, {0, m.section});
      else kept.push_back({m.at - start, m.section});
    }
    marks = std::move(kept);
    buf.erase(0, start);
  };

  for (const document_section& s : doc.sections) {
    if (s.text.empty()) continue;
    if (!buf.empty()) {
      std::size_t added = 2 + (s.heading.empty() ? 0 : s.heading.size() + 1) + s.text.size();
      if (buf.size() + added > limit && buf.size() >= min_fill) {
        emit(buf.size());
        buf.clear();
      }
    }
    if (buf.empty()) {
      buf = s.text;
      marks.assign(1, {0, &s});
    } else {
      buf += "\n\n";
      marks.push_back({buf.size(), &s});
      if (!s.heading.empty()) buf.append(s.heading).push_back('\n');
      buf += s.text;
    }
    while (buf.size() > limit) cut();
  }
  if (!buf.empty()) emit(buf.size());
  return out;
}

result<std::vector<knowledge_file>> list_knowledge_files(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    bool exists = fs::exists(root, ec);
    return make_error(errc::not_found, exists ? "not a directory" : "no such directory");
  }
  std::vector<knowledge_file> files;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& path = it->path();
    std::string name = path.filename().string();
    std::error_code entry_ec;  // a dangling symlink is skipped, not an error
    if (name.starts_with('.')) {
      if (it->is_directory(entry_ec)) it.disable_recursion_pending();
      continue;
    }
    std::optional<source_format> format = format_of(name);
    if (!format || !it->is_regular_file(entry_ec)) continue;
    files.push_back({path.lexically_relative(root).generic_string(), path, *format});
  }
  if (ec) return make_error(errc::unavailable, "cannot read the directory: " + ec.message());
  std::sort(files.begin(), files.end(), [](const knowledge_file& a, const knowledge_file& b) { return a.source < b.source; });
  return files;
}

}  // namespace salient::cli
