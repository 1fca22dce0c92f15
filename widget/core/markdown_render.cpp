// The renderer proper: md4c's callbacks turned into sanitized HTML for one group of blocks
// (markdown.h's theory of operation says how groups are cut while an answer streams in).
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "html_text.h"
#include "markdown.h"
#include "md4c.h"

namespace salient::widget {
namespace {

using namespace detail;

// GitHub's dialect without raw HTML blocks: a block of raw HTML is never passed through, and
// with NOHTMLBLOCKS a line such as `<b>x</b>` is a paragraph whose inline tags we can vet one
// by one. Inline HTML spans are reported only when allow_basic_html wants to see them.
unsigned md_flags(const render_options& o) {
  unsigned f = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS | MD_FLAG_PERMISSIVEAUTOLINKS |
               MD_FLAG_NOHTMLBLOCKS;
  if (!o.allow_basic_html) f |= MD_FLAG_NOHTMLSPANS;
  return f;
}


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

}  // namespace detail
}  // namespace salient::widget
