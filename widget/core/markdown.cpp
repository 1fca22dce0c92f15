#include "markdown.h"

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "md4c.h"

namespace salient::widget {
namespace {

// GitHub's dialect without raw HTML blocks: a block of raw HTML is never passed through, and
// with NOHTMLBLOCKS a line such as `<b>x</b>` is a paragraph whose inline tags we can vet one
// by one. Inline HTML spans are reported only when allow_basic_html wants to see them.
unsigned md_flags(const render_options& o) {
  unsigned f = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS | MD_FLAG_PERMISSIVEAUTOLINKS |
               MD_FLAG_NOHTMLBLOCKS;
  if (!o.allow_basic_html) f |= MD_FLAG_NOHTMLSPANS;
  return f;
}

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

bool is_alpha(char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

// Attribute-free inline tags allowed by allow_basic_html.
constexpr const char* basic_tags[] = {"b", "i", "em", "strong", "u", "s", "sub", "sup", "code", "kbd", "mark", "small"};
constexpr int n_basic_tags = sizeof basic_tags / sizeof basic_tags[0];

int basic_tag_index(std::string_view name) {
  for (int i = 0; i < n_basic_tags; ++i) {
    std::string_view t = basic_tags[i];
    if (t.size() != name.size()) continue;
    bool eq = true;
    for (std::size_t k = 0; k < t.size(); ++k) eq = eq && (name[k] | 0x20) == t[k];
    if (eq) return i;
  }
  return -1;
}

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

std::string attribute_text(const MD_ATTRIBUTE& a, bool decode_entities) {
  std::string s;
  if (a.size == 0 || !a.substr_offsets) return s;  // md4c leaves the arrays null when empty
  for (unsigned i = 0; a.substr_offsets[i] < a.size; ++i) {
    std::string_view part(a.text + a.substr_offsets[i], a.substr_offsets[i + 1] - a.substr_offsets[i]);
    switch (a.substr_types[i]) {
      case MD_TEXT_ENTITY:
        if (decode_entities) decode_entity(s, part);
        else s.append(part);
        break;
      case MD_TEXT_NULLCHAR: s += "\xEF\xBF\xBD"; break;
      default: s.append(part);
    }
  }
  return s;
}

class renderer {
 public:
  renderer(const render_options& o, std::string& out) : opt_(o), out_(out) {}

  int enter_block(MD_BLOCKTYPE type, void* detail) {
    close_basic_tags();
    switch (type) {
      case MD_BLOCK_QUOTE: out_ += "<blockquote>\n"; break;
      case MD_BLOCK_UL: out_ += "<ul>\n"; break;
      case MD_BLOCK_OL: {
        unsigned start = static_cast<MD_BLOCK_OL_DETAIL*>(detail)->start;
        if (start == 1) {
          out_ += "<ol>\n";
        } else {
          out_ += "<ol start=\"";
          out_ += std::to_string(start);
          out_ += "\">\n";
        }
        break;
      }
      case MD_BLOCK_LI: {
        auto* d = static_cast<MD_BLOCK_LI_DETAIL*>(detail);
        if (!d->is_task) {
          out_ += "<li>";
        } else {
          // A checkbox the visitor cannot tick: it shows the model's list, it is not a form.
          out_ += "<li class=\"task\"><input type=\"checkbox\" disabled";
          if (d->task_mark == 'x' || d->task_mark == 'X') out_ += " checked";
          out_ += "> ";
        }
        break;
      }
      case MD_BLOCK_HR: out_ += "<hr>\n"; break;
      case MD_BLOCK_H:
        out_ += "<h";
        out_ += heading_digit(detail);
        out_ += '>';
        break;
      case MD_BLOCK_CODE: {
        out_ += "<div class=\"code\"><button type=\"button\" class=\"copy\" data-copy>Copy</button><pre><code";
        // The language only ever becomes a class name: its leading [A-Za-z0-9_+-], at most 32
        // of them ("c++", "objective-c"; `js"><x` gives "js").
        std::string lang = attribute_text(static_cast<MD_BLOCK_CODE_DETAIL*>(detail)->lang, false), clean;
        for (char c : lang) {
          if (!(is_alnum(c) || c == '_' || c == '+' || c == '-') || clean.size() == 32) break;
          clean += c;
        }
        if (!clean.empty()) {
          out_ += " class=\"language-";
          out_ += clean;
          out_ += '"';
        }
        out_ += '>';
        break;
      }
      case MD_BLOCK_P: out_ += "<p>"; break;
      case MD_BLOCK_TABLE: out_ += "<table>\n"; break;
      case MD_BLOCK_THEAD: out_ += "<thead>\n"; break;
      case MD_BLOCK_TBODY: out_ += "<tbody>\n"; break;
      case MD_BLOCK_TR: out_ += "<tr>"; break;
      case MD_BLOCK_TH:
      case MD_BLOCK_TD: {
        out_ += type == MD_BLOCK_TH ? "<th" : "<td";
        // A class, not style="text-align:…": the output never carries inline CSS.
        switch (static_cast<MD_BLOCK_TD_DETAIL*>(detail)->align) {
          case MD_ALIGN_LEFT: out_ += " class=\"align-left\""; break;
          case MD_ALIGN_CENTER: out_ += " class=\"align-center\""; break;
          case MD_ALIGN_RIGHT: out_ += " class=\"align-right\""; break;
          default: break;
        }
        out_ += '>';
        break;
      }
      default: break;  // DOC; HTML blocks are off (NOHTMLBLOCKS)
    }
    return 0;
  }

  int leave_block(MD_BLOCKTYPE type, void* detail) {
    close_basic_tags();
    switch (type) {
      case MD_BLOCK_QUOTE: out_ += "</blockquote>\n"; break;
      case MD_BLOCK_UL: out_ += "</ul>\n"; break;
      case MD_BLOCK_OL: out_ += "</ol>\n"; break;
      case MD_BLOCK_LI: out_ += "</li>\n"; break;
      case MD_BLOCK_H:
        out_ += "</h";
        out_ += heading_digit(detail);
        out_ += ">\n";
        break;
      case MD_BLOCK_CODE: out_ += "</code></pre></div>\n"; break;
      case MD_BLOCK_P: out_ += "</p>\n"; break;
      case MD_BLOCK_TABLE: out_ += "</table>\n"; break;
      case MD_BLOCK_THEAD: out_ += "</thead>\n"; break;
      case MD_BLOCK_TBODY: out_ += "</tbody>\n"; break;
      case MD_BLOCK_TR: out_ += "</tr>\n"; break;
      case MD_BLOCK_TH: out_ += "</th>"; break;
      case MD_BLOCK_TD: out_ += "</td>"; break;
      default: break;
    }
    return 0;
  }

  int enter_span(MD_SPANTYPE type, void* detail) {
    if (image_depth_ > 0) {
      // Inside an image only the alt text counts; a link nested in it stays text.
      if (type == MD_SPAN_IMG) ++image_depth_;
      if (type == MD_SPAN_A) links_.push_back(false);
      return 0;
    }
    switch (type) {
      case MD_SPAN_EM: out_ += "<em>"; break;
      case MD_SPAN_STRONG: out_ += "<strong>"; break;
      case MD_SPAN_CODE: out_ += "<code>"; break;
      case MD_SPAN_DEL: out_ += "<del>"; break;
      case MD_SPAN_IMG: ++image_depth_; break;
      case MD_SPAN_A: {
        std::string href = detail::safe_href(attribute_text(static_cast<MD_SPAN_A_DETAIL*>(detail)->href, true));
        links_.push_back(!href.empty());
        if (!href.empty()) {
          out_ += "<a href=\"";
          escape(out_, href);
          out_ += "\" rel=\"noopener noreferrer\" target=\"_blank\">";
        }
        break;
      }
      default: break;  // LaTeX, wiki links, underline: not enabled
    }
    return 0;
  }

  int leave_span(MD_SPANTYPE type) {
    if (type == MD_SPAN_A) {
      bool open = !links_.empty() && links_.back();
      if (!links_.empty()) links_.pop_back();
      if (open) out_ += "</a>";
      return 0;
    }
    if (type == MD_SPAN_IMG) {
      --image_depth_;
      return 0;
    }
    if (image_depth_ > 0) return 0;
    switch (type) {
      case MD_SPAN_EM: out_ += "</em>"; break;
      case MD_SPAN_STRONG: out_ += "</strong>"; break;
      case MD_SPAN_CODE: out_ += "</code>"; break;
      case MD_SPAN_DEL: out_ += "</del>"; break;
      default: break;
    }
    return 0;
  }

  int text(MD_TEXTTYPE type, const char* p, unsigned n) {
    switch (type) {
      case MD_TEXT_NULLCHAR: out_ += "\xEF\xBF\xBD"; break;
      case MD_TEXT_BR: out_ += image_depth_ > 0 ? " " : "<br>\n"; break;
      case MD_TEXT_SOFTBR: out_ += '\n'; break;
      case MD_TEXT_ENTITY: entity(std::string_view(p, n)); break;
      case MD_TEXT_HTML:
        if (!(opt_.allow_basic_html && image_depth_ == 0 && basic_tag(std::string_view(p, n)))) escape(out_, p, n);
        break;
      default: escape(out_, p, n);
    }
    return 0;
  }

 private:
  // h1→h3 … h4–h6→h6 (see markdown.h).
  static char heading_digit(void* detail) {
    unsigned level = static_cast<MD_BLOCK_H_DETAIL*>(detail)->level + 2;
    return static_cast<char>('0' + (level > 6 ? 6 : level));
  }

  void entity(std::string_view e) {
    bool plain = e.size() >= 3 && e.front() == '&' && e.back() == ';';
    for (std::size_t i = 1; plain && i + 1 < e.size(); ++i) plain = is_alnum(e[i]) || e[i] == '#';
    if (plain) {
      out_.append(e);  // the browser decodes it into text
    } else {
      escape(out_, e);
    }
  }

  // True if `h` was an allowed tag and has been written (or, for a stray closer, dropped into
  // the text escaped by the caller: then false).
  bool basic_tag(std::string_view h) {
    if (h.size() < 3 || h.front() != '<' || h.back() != '>') return false;
    std::string_view name = h.substr(1, h.size() - 2);
    bool closing = !name.empty() && name.front() == '/';
    if (closing) name.remove_prefix(1);
    if (!closing) {
      std::string_view br = name;
      if (br.size() >= 1 && br.back() == '/') br.remove_suffix(1);
      if (br.size() >= 1 && br.back() == ' ') br.remove_suffix(1);
      if (br.size() == 2 && (br[0] | 0x20) == 'b' && (br[1] | 0x20) == 'r') {
        out_ += "<br>";
        return true;
      }
    }
    int tag = basic_tag_index(name);
    if (tag < 0) return false;
    if (!closing) {
      open_tags_.push_back(static_cast<unsigned char>(tag));
      out_ += '<';
      out_ += basic_tags[tag];
      out_ += '>';
      return true;
    }
    // A closer closes the innermost open tag of its name and anything opened inside it.
    for (std::size_t i = open_tags_.size(); i-- > 0;) {
      if (open_tags_[i] != tag) continue;
      while (open_tags_.size() > i) close_last();
      return true;
    }
    return false;
  }

  void close_last() {
    out_ += "</";
    out_ += basic_tags[open_tags_.back()];
    out_ += '>';
    open_tags_.pop_back();
  }
  void close_basic_tags() {
    while (!open_tags_.empty()) close_last();
  }

  const render_options& opt_;
  std::string& out_;
  int image_depth_ = 0;
  std::vector<bool> links_;                 // per open link: did it get an <a>?
  std::vector<unsigned char> open_tags_;    // allow_basic_html tags open in this block
};

// Only the byte value matters for these; a line starting with one of them might continue the
// block before a blank line (list item, indented code, list continuation, quote).
bool may_continue(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '-' || c == '+' || c == '*' || c == '>' ||
         is_digit(c);
}

// The sentinel check of markdown.h's theory of operation: does a paragraph starting at the
// end of `before` sit directly in the document, with nothing left open around it?
struct sentinel_probe {
  const char* end;
  int depth = 0;
  bool top_level = false;
};

bool boundary_closes_everything(std::string_view before) {
  std::string doc(before);
  doc += 'Z';
  sentinel_probe probe{doc.data() + doc.size()};
  MD_PARSER p{};
  p.flags = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS | MD_FLAG_PERMISSIVEAUTOLINKS |
            MD_FLAG_NOHTMLBLOCKS | MD_FLAG_NOHTMLSPANS;
  p.enter_block = [](MD_BLOCKTYPE, void*, void* u) { ++static_cast<sentinel_probe*>(u)->depth; return 0; };
  p.leave_block = [](MD_BLOCKTYPE, void*, void* u) { --static_cast<sentinel_probe*>(u)->depth; return 0; };
  p.enter_span = [](MD_SPANTYPE, void*, void*) { return 0; };
  p.leave_span = [](MD_SPANTYPE, void*, void*) { return 0; };
  p.text = [](MD_TEXTTYPE t, const MD_CHAR* s, MD_SIZE n, void* u) {
    auto* pr = static_cast<sentinel_probe*>(u);
    // DOC + P, plain text, and the very bytes we appended (not a copy, not a code line).
    pr->top_level = t == MD_TEXT_NORMAL && pr->depth == 2 && s + n == pr->end;
    return 0;
  };
  if (md_parse(doc.data(), static_cast<MD_SIZE>(doc.size()), &p, &probe) != 0) return false;
  return probe.top_level;
}

}  // namespace

namespace detail {

void render_group(std::string_view md, const render_options& options, std::string& out) {
  renderer r(options, out);
  MD_PARSER p{};
  p.flags = md_flags(options);
  p.enter_block = [](MD_BLOCKTYPE t, void* d, void* u) { return static_cast<renderer*>(u)->enter_block(t, d); };
  p.leave_block = [](MD_BLOCKTYPE t, void* d, void* u) { return static_cast<renderer*>(u)->leave_block(t, d); };
  p.enter_span = [](MD_SPANTYPE t, void* d, void* u) { return static_cast<renderer*>(u)->enter_span(t, d); };
  p.leave_span = [](MD_SPANTYPE t, void*, void* u) { return static_cast<renderer*>(u)->leave_span(t); };
  p.text = [](MD_TEXTTYPE t, const MD_CHAR* s, MD_SIZE n, void* u) { return static_cast<renderer*>(u)->text(t, s, n); };
  std::size_t mark = out.size();
  // md4c takes 32-bit sizes; an answer of 4 GB is not an answer. On failure (out of memory)
  // nothing half-written is kept: the group is shown as escaped text instead.
  if (md.size() > 0x7FFFFFFF || md_parse(md.data(), static_cast<MD_SIZE>(md.size()), &p, &r) != 0) {
    out.resize(mark);
    out += "<p>";
    escape(out, md);
    out += "</p>\n";
  }
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

}  // namespace detail

const stream_renderer::output& stream_renderer::append(std::string_view delta) {
  out_.commit.clear();
  out_.tail.clear();
  text_.append(delta);
  advance();
  detail::render_group(text_, options_, out_.tail);
  return out_;
}

const stream_renderer::output& stream_renderer::finish() {
  out_.commit.clear();
  out_.tail.clear();
  detail::render_group(text_, options_, out_.commit);
  text_.clear();
  pos_ = 0;
  candidate_ = has_content_ = false;
  return out_;
}

void stream_renderer::advance() {
  for (;;) {
    if (candidate_) {
      if (pos_ >= text_.size()) return;  // the boundary's first character is not here yet
      candidate_ = false;
      if (has_content_ && !may_continue(text_[pos_]) &&
          boundary_closes_everything(std::string_view(text_).substr(0, pos_))) {
        detail::render_group(std::string_view(text_).substr(0, pos_), options_, out_.commit);
        text_.erase(0, pos_);
        pos_ = 0;
        has_content_ = false;
      }
    }
    std::size_t nl = text_.find('\n', pos_);
    if (nl == std::string::npos) return;
    bool blank = true;
    for (std::size_t i = pos_; i < nl && blank; ++i) blank = text_[i] == ' ' || text_[i] == '\t' || text_[i] == '\r';
    pos_ = nl + 1;
    if (blank) candidate_ = true;
    else has_content_ = true;
  }
}

// The same cuts as streaming (that is what makes the two agree), without rendering a tail.
std::string render_markdown(std::string_view md, const render_options& options) {
  stream_renderer r(options);
  r.text_.assign(md);
  r.advance();
  std::string html = std::move(r.out_.commit);
  detail::render_group(r.text_, options, html);
  return html;
}

}  // namespace salient::widget
