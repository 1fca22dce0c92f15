// Streaming: where an answer that is still arriving can be cut into groups that will never
// change (committed), and the tail rendered again with each delta (markdown.h).
#include "markdown.h"

#include <string>
#include <utility>

#include "html_text.h"
#include "md4c.h"

namespace salient::widget {
namespace {

using detail::is_digit;

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
