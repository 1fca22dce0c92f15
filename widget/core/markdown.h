#pragma once
// Markdown from the model → HTML that is safe to insert with innerHTML, one-shot or while the
// answer streams in. Parsing is md4c's (third_party/md4c); the HTML is ours, written from
// md_parse's callbacks, so every tag, attribute and URL that reaches the page went through the
// checks below. Nothing here does I/O.
//
// What the output may contain (and nothing else):
//   p, h3–h6 (markdown h1→h3, h2→h4, h3→h5, h4–h6→h6: an answer sits inside a chat bubble on a
//   customer's page, whose own h1/h2 outline it must not take over), em, strong, del, code,
//   blockquote, hr, br, ul, ol[start], li[class=task] + input[type=checkbox][disabled][checked],
//   table/thead/tbody/tr, th/td[class=align-left|align-center|align-right],
//   a[href][rel="noopener noreferrer"][target=_blank], and code blocks as
//     <div class="code"><button type="button" class="copy" data-copy>Copy</button>
//     <pre><code class="language-xxx">…</code></pre></div>
//   (the widget's JS wires the button: it copies the sibling <pre>'s textContent).
//   With allow_basic_html, also b i em strong u s sub sup br code kbd mark small, attribute-free.
//
// Rules that keep it safe:
//   - all text is escaped (& < > " '); entities from the source are passed through only when
//     they match &[A-Za-z0-9#]+; (the browser decodes them into text, never into markup);
//   - raw HTML is escaped, unless allow_basic_html and it is exactly <tag>, </tag>, <br>, <br/>
//     or <br /> for an allowlisted tag; those are balanced per block (unclosed ones are closed
//     at the end of their block, stray closers are escaped) so no formatting leaks into later
//     blocks;
//   - a link keeps its <a> only if its destination, as the browser will read it (entities
//     decoded, leading/trailing controls and spaces stripped, tabs and newlines removed), is
//     http:, https:, mailto: or has no scheme at all (relative, /path, #fragment); otherwise
//     its text is rendered without a link;
//   - images never become <img> (the browser would fetch them the moment they are inserted,
//     which is how markdown image exfiltration works): an image renders as its alt text only,
//     no link either, so nothing is fetched even on a click.
#include <string>
#include <string_view>

namespace salient::widget {

struct render_options {
  /// Lets a small allowlist of attribute-free inline tags through (ui.allow_basic_html).
  bool allow_basic_html = false;
};

/// The whole document at once. Equal, byte for byte, to all the commits of a stream_renderer
/// fed the same text in any pieces, followed by its last tail.
std::string render_markdown(std::string_view md, const render_options& options = {});

/// Streaming: append() the answer's text as it arrives, finish() once at the end.
///
/// Each call returns `commit`, HTML for blocks that are complete and will never change (append
/// it after earlier commits), and `tail`, HTML for the unfinished rest (it replaces the
/// previous tail). finish() commits everything; its tail is empty.
///
/// Theory of operation: the text is cut into groups of blocks at "safe" boundaries, and each
/// group is parsed on its own — render_markdown cuts at the same places, which is what makes
/// the two agree. A boundary is the start of a line L after a blank line, where
///   - L starts with a character that cannot continue the block before it (not whitespace, not
///     a list marker start - + * or digit, not >), and
///   - md4c, given the text up to L followed by a sentinel paragraph, puts the sentinel in a
///     top-level paragraph: so no fenced code block, list or quote is still open there.
/// Only the uncommitted text is kept and re-parsed. The one visible difference from parsing the
/// document whole: a reference link definition ([x]: url) applies only within its own group.
class stream_renderer {
 public:
  struct output {
    std::string commit;
    std::string tail;
  };

  explicit stream_renderer(const render_options& options = {}) : options_(options) {}

  /// Valid until the next call.
  const output& append(std::string_view delta);
  const output& finish();

 private:
  friend std::string render_markdown(std::string_view, const render_options&);
  void advance();  // commits every boundary that the text now shows

  render_options options_;
  std::string text_;            // the uncommitted markdown
  std::size_t pos_ = 0;         // start of the first line of text_ not yet classified
  bool candidate_ = false;      // pos_ follows a blank line: check it as a boundary
  bool has_content_ = false;    // text_ has a non-blank line before pos_
  output out_;
};

namespace detail {
/// One group of blocks (no cutting): the md4c pass behind both functions above.
void render_group(std::string_view md, const render_options& options, std::string& out);
/// The destination as the browser would read it, if it may become an href; empty if not.
/// (Exposed for the tests.)
std::string safe_href(std::string_view decoded);
}  // namespace detail

}  // namespace salient::widget
