// The widget core's markdown renderer and SSE parser (widget/core/markdown.h, sse_parser.h),
// natively. The same code runs in the browser as wasm (tests/wasm/widget-core.test.mjs).
#include <catch2/catch_test_macros.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "html_safety.h"
#include "markdown.h"
#include "sse_parser.h"

using salient::test::html_safety_problem;
using salient::widget::render_markdown;
using salient::widget::render_options;
using salient::widget::sse_event;
using salient::widget::sse_parser;
using salient::widget::stream_renderer;

using namespace std::literals;

namespace {

const render_options basic{true};

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// All commits, then the last tail, feeding `md` in the given pieces.
std::string streamed(const std::vector<std::string_view>& pieces, const render_options& o = {}) {
  stream_renderer r(o);
  std::string html;
  for (auto p : pieces) html += r.append(p).commit;
  html += r.finish().commit;
  return html;
}

const char* const documents[] = {
    "# Prices\n\nOur **lawn** plan costs *$30*.\n\n- mow\n- edge\n\n  still edge\n- rake\n\nDone.\n",
    "Intro line\n\n```js\nlet a = 1;\n\n\nlet b = '<b>';\n```\n\nAfter the code.\n\n    indented\n\n    code\n\nEnd",
    "1. one\n2. two\n\n3. three\n\nText\n\n> quote\n\n> another\n\nx\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\ny\n",
    ("See [our site](https://example.com) and [x][r].\n\n[r]: https://example.com/r\n\nmore <b>bold</b> and "
     "<i>open\n\n* star list\n\n- [x] done\n- [ ] todo\n\n---\n\nfin"),
    "~~~\nfence\n\n~~~~\nstill\n~~~\n\nout\n\r\n\r\nCRLF para\r\n\r\nnext\r\n",
    "- a\n\n  ```\n  x\n\n  y\n  ```\n\n```\nreal\n\nfence\n```\n\nz\n\n\n\n",
};

}  // namespace

TEST_CASE("widget markdown: paragraphs, headings and inline styles", "[widget_markdown]") {
  CHECK(render_markdown("Hello\nworld\n\nSecond") == "<p>Hello\nworld</p>\n<p>Second</p>\n");
  // h1/h2 would take over the host page's outline: everything shifts down by two.
  CHECK(render_markdown("# A\n## B\n### C\n#### D\n###### F") == "<h3>A</h3>\n<h4>B</h4>\n<h5>C</h5>\n<h6>D</h6>\n<h6>F</h6>\n");
  CHECK(render_markdown("*e* **s** ~~d~~ `c<`") == "<p><em>e</em> <strong>s</strong> <del>d</del> <code>c&lt;</code></p>\n");
  CHECK(render_markdown("a  \nb") == "<p>a<br>\nb</p>\n");
  CHECK(render_markdown("> q\n\n---") == "<blockquote>\n<p>q</p>\n</blockquote>\n<hr>\n");
}

TEST_CASE("widget markdown: code blocks get a copy button and a sanitized language", "[widget_markdown]") {
  CHECK(render_markdown("```c++\nint a = 1 < 2;\n```") ==
        "<div class=\"code\"><button type=\"button\" class=\"copy\" data-copy>Copy</button><pre><code "
        "class=\"language-c++\">int a = 1 &lt; 2;\n</code></pre></div>\n");
  CHECK(contains(render_markdown("```js\"><script>\nx\n```"), "<code class=\"language-js\">"));
  CHECK(contains(render_markdown("```\nx\n```"), "<pre><code>x\n"));
  CHECK(contains(render_markdown("    indented <b>\n"), "<pre><code>indented &lt;b&gt;\n"));
}

TEST_CASE("widget markdown: lists, task lists and tables", "[widget_markdown]") {
  CHECK(render_markdown("- a\n- b") == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n");
  CHECK(render_markdown("3. a\n4. b") == "<ol start=\"3\">\n<li>a</li>\n<li>b</li>\n</ol>\n");
  CHECK(render_markdown("1. a") == "<ol>\n<li>a</li>\n</ol>\n");
  CHECK(render_markdown("- [x] done\n- [ ] todo") ==
        "<ul>\n<li class=\"task\"><input type=\"checkbox\" disabled checked> done</li>\n"
        "<li class=\"task\"><input type=\"checkbox\" disabled> todo</li>\n</ul>\n");
  CHECK(render_markdown("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |") ==
        "<table>\n<thead>\n<tr><th class=\"align-left\">a</th><th class=\"align-center\">b</th>"
        "<th class=\"align-right\">c</th></tr>\n</thead>\n<tbody>\n<tr><td class=\"align-left\">1</td>"
        "<td class=\"align-center\">2</td><td class=\"align-right\">3</td></tr>\n</tbody>\n</table>\n");
}

TEST_CASE("widget markdown: text is escaped, entities pass through for the browser", "[widget_markdown]") {
  CHECK(render_markdown("<script>alert('x')</script> \"q\"") ==
        "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;q&quot;</p>\n");
  CHECK(render_markdown("&copy; &#60; &#x3C; & AT&T") == "<p>&copy; &#60; &#x3C; &amp; AT&amp;T</p>\n");
  CHECK(render_markdown(std::string_view("a\0b", 3)) == "<p>a\xEF\xBF\xBD" "b</p>\n");
  CHECK(render_markdown("<div onclick=x>\nhi\n</div>") == "<p>&lt;div onclick=x&gt;\nhi\n&lt;/div&gt;</p>\n");
}

TEST_CASE("widget markdown: links keep only http, https, mailto and relative destinations", "[widget_markdown]") {
  auto link = [](const char* href, const char* text) {
    return std::string("<a href=\"") + href + "\" rel=\"noopener noreferrer\" target=\"_blank\">" + text + "</a>";
  };
  CHECK(render_markdown("[a](https://x.example/?a=1&b=2)") == "<p>" + link("https://x.example/?a=1&amp;b=2", "a") + "</p>\n");
  CHECK(contains(render_markdown("[a](HTTP://x.example)"), link("HTTP://x.example", "a")));
  CHECK(contains(render_markdown("[a](mailto:s@x.example)"), link("mailto:s@x.example", "a")));
  CHECK(contains(render_markdown("[a](/pricing)"), link("/pricing", "a")));
  CHECK(contains(render_markdown("[a](#contact)"), link("#contact", "a")));
  CHECK(contains(render_markdown("[a](pricing.html)"), link("pricing.html", "a")));
  CHECK(contains(render_markdown("[a](<https://x.example/a b>)"), link("https://x.example/a%20b", "a")));
  CHECK(contains(render_markdown("[a](https://x.example/\"onclick=\"x)"),
                 link("https://x.example/&quot;onclick=&quot;x", "a")));
  for (const char* bad : {"javascript:alert(1)", "JaVaScRiPt:alert(1)", "java&#x09;script:x", "java&Tab;script:x",
                          "javascript&colon;x", "javascript&#58;x", "&#106;avascript:x", "vbscript:x",
                          "data:text/html,x", "file:///etc/passwd", "java&NewLine;script:x", "<javascript:x>"}) {
    INFO(bad);
    CHECK(render_markdown(std::string("[t](") + bad + ")") == "<p>t</p>\n");
  }
  CHECK(render_markdown("[t](javascript:x \"title\")") == "<p>t</p>\n");
  CHECK(render_markdown("[r]: javascript:x\n[t][r]") == "<p>t</p>\n");
  CHECK(contains(render_markdown("[r]: https://x.example\n[t][r]"), link("https://x.example", "t")));
  // The documented difference from a whole-document parse: a definition is only seen within
  // its own group of blocks (markdown.h), so across a blank line the reference stays text.
  CHECK(render_markdown("[t][r]\n\n[r]: https://x.example") == "<p>[t][r]</p>\n");
  CHECK(render_markdown("<javascript:alert(1)>") == "<p>javascript:alert(1)</p>\n");
}

TEST_CASE("widget markdown: safe_href reads a URL the way the browser does", "[widget_markdown]") {
  using salient::widget::detail::safe_href;
  CHECK(safe_href("https://a") == "https://a");
  CHECK(safe_href("  \x01https://a b\t") == "https://a%20b");
  CHECK(safe_href("java\tscr\nipt:x").empty());
  CHECK(safe_href("\x01javascript:x").empty());
  CHECK(safe_href(" JAVASCRIPT:x").empty());
  CHECK(safe_href("").empty());
  CHECK(safe_href("a/b:c") == "a/b:c");   // no scheme: ':' comes after a '/'
  CHECK(safe_href("1a:b") == "1a:b");     // a scheme starts with a letter: relative
  CHECK(safe_href("x+y.z-w:q").empty());  // any other scheme
}

TEST_CASE("widget markdown: autolinks", "[widget_markdown]") {
  CHECK(render_markdown("see https://x.example/a and www.x.example and s@x.example") ==
        "<p>see <a href=\"https://x.example/a\" rel=\"noopener noreferrer\" target=\"_blank\">https://x.example/a</a> "
        "and <a href=\"http://www.x.example\" rel=\"noopener noreferrer\" target=\"_blank\">www.x.example</a> and "
        "<a href=\"mailto:s@x.example\" rel=\"noopener noreferrer\" target=\"_blank\">s@x.example</a></p>\n");
  CHECK(contains(render_markdown("<https://x.example>"), "href=\"https://x.example\""));
}

TEST_CASE("widget markdown: images become their alt text, never a request", "[widget_markdown]") {
  CHECK(render_markdown("![the secret](https://evil.example/?q=secret)") == "<p>the secret</p>\n");
  CHECK(render_markdown("[i]: https://evil.example/\n![x][i]") == "<p>x</p>\n");
  CHECK(render_markdown("[![logo](https://evil.example/p.png)](https://ok.example)") ==
        "<p><a href=\"https://ok.example\" rel=\"noopener noreferrer\" target=\"_blank\">logo</a></p>\n");
  CHECK(render_markdown("![a *b* [c](https://x)](https://evil.example/)") == "<p>a b c</p>\n");
}

TEST_CASE("widget markdown: allow_basic_html lets attribute-free inline tags through", "[widget_markdown]") {
  CHECK(render_markdown("<b>x</b> <i>y</i>", basic) == "<p><b>x</b> <i>y</i></p>\n");
  CHECK(render_markdown("<b>x</b>") == "<p>&lt;b&gt;x&lt;/b&gt;</p>\n");  // off by default
  CHECK(render_markdown("a<br>b<br/>c<br />d<BR>e", basic) == "<p>a<br>b<br>c<br>d<br>e</p>\n");
  CHECK(render_markdown("<sub>1</sub><sup>2</sup><kbd>k</kbd><mark>m</mark><small>s</small><u>u</u><s>s</s>"
                        "<em>e</em><strong>s</strong><code>c</code>",
                        basic) ==
        "<p><sub>1</sub><sup>2</sup><kbd>k</kbd><mark>m</mark><small>s</small><u>u</u><s>s</s><em>e</em>"
        "<strong>s</strong><code>c</code></p>\n");
  CHECK(render_markdown("<b onclick=x>y</b>", basic) == "<p>&lt;b onclick=x&gt;y&lt;/b&gt;</p>\n");
  CHECK(render_markdown("<B>up</B>", basic) == "<p><b>up</b></p>\n");
  CHECK(render_markdown("<div>x</div> <script>y</script> <b/>", basic) ==
        "<p>&lt;div&gt;x&lt;/div&gt; &lt;script&gt;y&lt;/script&gt; &lt;b/&gt;</p>\n");
  // Balanced per block: unclosed tags close at the end of their block, stray closers are text.
  CHECK(render_markdown("<b>open\n\nnext</b>", basic) == "<p><b>open</b></p>\n<p>next&lt;/b&gt;</p>\n");
  CHECK(render_markdown("<b><i>x</b>y</i>", basic) == "<p><b><i>x</i></b>y&lt;/i&gt;</p>\n");
  CHECK(render_markdown("- <b>a\n- b", basic) == "<ul>\n<li><b>a</b></li>\n<li>b</li>\n</ul>\n");
  CHECK(render_markdown("![<b>x</b>](https://e/)", basic) == "<p>&lt;b&gt;x&lt;/b&gt;</p>\n");
  CHECK(render_markdown("<!-- c --> <![CDATA[x]]>", basic) == "<p>&lt;!-- c --&gt; &lt;![CDATA[x]]&gt;</p>\n");
}

TEST_CASE("widget markdown stream: commits + tail equal the one-shot render at every split", "[widget_markdown]") {
  for (const render_options& o : {render_options{}, basic}) {
    for (std::string_view doc : documents) {
      std::string whole = render_markdown(doc, o);
      INFO(doc);
      for (std::size_t i = 0; i <= doc.size(); ++i) {
        INFO("split at " << i);
        REQUIRE(streamed({doc.substr(0, i), doc.substr(i)}, o) == whole);
      }
      // And byte by byte, as the slowest stream would arrive.
      std::vector<std::string_view> bytes;
      for (std::size_t i = 0; i < doc.size(); ++i) bytes.push_back(doc.substr(i, 1));
      REQUIRE(streamed(bytes, o) == whole);
    }
  }
}

TEST_CASE("widget markdown stream: cutting into groups of blocks renders as parsing whole would", "[widget_markdown]") {
  // Reference definitions aside (markdown.h), the cuts are invisible in the output.
  for (std::string_view doc : documents) {
    if (doc.find("]:") != std::string_view::npos) continue;
    std::string whole;
    salient::widget::detail::render_group(doc, {}, whole);
    CHECK(render_markdown(doc) == whole);
  }
}

TEST_CASE("widget markdown stream: pairs of split points", "[widget_markdown]") {
  std::string_view doc = documents[1];
  std::string whole = render_markdown(doc);
  for (std::size_t i = 0; i <= doc.size(); i += 3)
    for (std::size_t j = i; j <= doc.size(); j += 2)
      REQUIRE(streamed({doc.substr(0, i), doc.substr(i, j - i), doc.substr(j)}) == whole);
}

TEST_CASE("widget markdown stream: complete blocks are committed, open ones stay in the tail", "[widget_markdown]") {
  stream_renderer r;
  auto o = r.append("First paragraph.\n\nSecond");
  CHECK(o.commit == "<p>First paragraph.</p>\n");
  CHECK(o.tail == "<p>Second</p>\n");
  stream_renderer r2;
  CHECK(r2.append("First paragraph.\n\n").commit.empty());  // the next block's first byte decides
  auto o2 = r2.append("Second");
  CHECK(o2.commit == "<p>First paragraph.</p>\n");
  CHECK(o2.tail == "<p>Second</p>\n");
  auto o3 = r2.append(" part");
  CHECK(o3.commit.empty());
  CHECK(o3.tail == "<p>Second part</p>\n");
  auto f = r2.finish();
  CHECK(f.commit == "<p>Second part</p>\n");
  CHECK(f.tail.empty());

  // An open fence keeps its blank lines: nothing inside it is committed.
  stream_renderer code;
  auto c = code.append("```\na\n\nb\n\nc");
  CHECK(c.commit.empty());
  CHECK(contains(c.tail, "<pre><code>a\n\nb\n\nc\n</code></pre>"));
  CHECK(code.append("\n```\n\nafter").commit == render_markdown("```\na\n\nb\n\nc\n```\n\n"));

  // A list is not committed until a line shows it has ended.
  stream_renderer list;
  CHECK(list.append("- a\n\n- b\n\n").commit.empty());
  CHECK(list.append("  more b\n\n").commit.empty());
  CHECK(list.append("Done").commit == render_markdown("- a\n\n- b\n\n  more b\n\n"));
}

TEST_CASE("widget markdown: the XSS corpus renders safely with and without basic HTML", "[widget_markdown]") {
  std::ifstream in(SALIENT_XSS_VECTORS, std::ios::binary);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string file = ss.str();
  std::size_t first = file.find("\n%%\n");
  REQUIRE(first != std::string::npos);
  std::string body = file.substr(first + 4);
  if (!body.empty() && body.back() == '\n') body.pop_back();
  std::vector<std::string> vectors;
  for (std::size_t at = 0;;) {
    std::size_t sep = body.find("\n%%\n", at);
    vectors.push_back(body.substr(at, sep == std::string::npos ? std::string::npos : sep - at));
    if (sep == std::string::npos) break;
    at = sep + 4;
  }
  REQUIRE(vectors.size() >= 110);
  for (const auto& v : vectors) {
    for (const render_options& o : {render_options{}, basic}) {
      std::string html = render_markdown(v, o);
      INFO("vector: " << v << "\nallow_basic_html: " << o.allow_basic_html << "\nhtml: " << html);
      CHECK(html_safety_problem(html).empty());
      std::string lower;
      for (char c : html) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      for (const char* tag : {"<script", "<svg", "<img", "<iframe", "<object", "<embed", "<style", "<form", "<meta",
                              "<base", "<link", "<math", " on", "style="}) {
        bool inside_tag = false;
        // " on…" is only a problem inside a tag; in text it is just a word.
        for (std::size_t p = lower.find(tag); p != std::string::npos; p = lower.find(tag, p + 1)) {
          std::size_t lt = lower.rfind('<', p), gt = lower.rfind('>', p);
          if (tag[0] == '<' || (lt != std::string::npos && (gt == std::string::npos || gt < lt))) inside_tag = true;
        }
        CHECK_FALSE(inside_tag);
      }
      // The stream renderer agrees, split in the middle.
      REQUIRE(streamed({std::string_view(v).substr(0, v.size() / 2), std::string_view(v).substr(v.size() / 2)}, o) ==
              html);
    }
  }
}

TEST_CASE("widget markdown: the safety checker itself catches what it should", "[widget_markdown]") {
  CHECK_FALSE(html_safety_problem("<img src=x>").empty());
  CHECK_FALSE(html_safety_problem("<p onclick=\"x\">").empty());
  CHECK_FALSE(html_safety_problem("<a href=\"javascript:x\">").empty());
  CHECK_FALSE(html_safety_problem("<a href=\"java&#x09;script:x\">").empty());
  CHECK_FALSE(html_safety_problem("<a href=\" JAVASCRIPT:x\">").empty());
  CHECK_FALSE(html_safety_problem("a < b").empty());
  CHECK_FALSE(html_safety_problem("\"").empty());
  CHECK(html_safety_problem("<a href=\"https://x/?a&amp;b\" rel=\"noopener noreferrer\" target=\"_blank\">x</a>").empty());
  CHECK(html_safety_problem("<p>&copy; &lt;</p>").empty());
}

namespace {

std::vector<sse_event> feed_all(sse_parser& p, const std::vector<std::string_view>& pieces) {
  std::vector<sse_event> out;
  for (auto piece : pieces) p.feed(piece, out);
  return out;
}

bool same(const std::vector<sse_event>& a, const std::vector<sse_event>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].type != b[i].type || a[i].data != b[i].data || a[i].id != b[i].id) return false;
  return true;
}

}  // namespace

TEST_CASE("widget sse: fields, comments, multi-line data and line ends", "[widget_sse]") {
  sse_parser p;
  auto ev = feed_all(p, {"\xEF\xBB\xBF: comment\r\nevent: delta\r\ndata: a\r\ndata:b\r\n\r\n"
                         "data: one\rdata\r\rid: 7\ndata: x\n\n"});
  REQUIRE(ev.size() == 3);
  CHECK((ev[0].type == "delta" && ev[0].data == "a\nb" && ev[0].id.empty()));
  CHECK((ev[1].type == "message" && ev[1].data == "one\n" && ev[1].id.empty()));
  CHECK((ev[2].type == "message" && ev[2].data == "x" && ev[2].id == "7"));
  CHECK(p.last_event_id() == "7");
  CHECK(p.retry_ms() == -1);
}

TEST_CASE("widget sse: id persists, retry needs digits, events without data are not sent", "[widget_sse]") {
  sse_parser p;
  auto ev = feed_all(p, {"id: 1\ndata: a\n\ndata: b\n\nid: 2\n\nevent: e\n\nretry: 2500\nretry: x1\ndata: c\n\n"
                         "id: bad\0id\ndata: d\n\nid\ndata: e\n\n"sv});
  REQUIRE(ev.size() == 5);
  CHECK((ev[0].id == "1" && ev[1].id == "1"));
  CHECK((ev[2].id == "2" && ev[2].type == "message"));  // "event: e" went with the empty event
  CHECK(ev[3].id == "2");                                // the id with a NUL was ignored
  CHECK(ev[4].id.empty());                               // a bare `id` clears it
  CHECK(p.retry_ms() == 2500);
  CHECK(p.last_event_id().empty());

  sse_parser q;
  feed_all(q, {"id: 9\n\n"});
  CHECK(q.last_event_id() == "9");  // updated at dispatch even without data
  feed_all(q, {"id: 10\ndata: x\n"});
  CHECK(q.last_event_id() == "9");  // not before the event is complete
}

TEST_CASE("widget sse: any split of the stream gives the same events", "[widget_sse]") {
  std::string_view stream =
      "\xEF\xBB\xBF" "event: token\r\ndata: caf\xC3\xA9 \xE2\x82\xAC\r\nid: a1\r\n\r\n: keepalive\r\r"
      "data: line1\ndata: line2\nretry: 300\n\nevent: done\rdata\r\r";
  sse_parser whole;
  auto expected = feed_all(whole, {stream});
  REQUIRE(expected.size() == 3);
  CHECK(expected[0].data == "caf\xC3\xA9 \xE2\x82\xAC");
  for (std::size_t i = 0; i <= stream.size(); ++i) {
    for (std::size_t j = i; j <= stream.size(); j += 5) {
      sse_parser p;
      auto got = feed_all(p, {stream.substr(0, i), stream.substr(i, j - i), stream.substr(j)});
      INFO("split at " << i << ", " << j);
      REQUIRE(same(got, expected));
      REQUIRE(p.last_event_id() == "a1");
      REQUIRE(p.retry_ms() == 300);
    }
  }
}

TEST_CASE("widget sse: a BOM-like prefix that is not a BOM is kept, an oversized line refuses the stream", "[widget_sse]") {
  sse_parser p;
  auto ev = feed_all(p, {"\xEF\xBB", "data: x\n\n"});
  REQUIRE(ev.empty());  // the line was "\xEF\xBB" "data: x": an unknown field
  sse_parser big;
  std::string line(sse_parser::max_event_bytes + 1, 'a');
  std::vector<sse_event> out;
  CHECK_FALSE(big.feed(line, out));
  CHECK(big.failed());
  CHECK_FALSE(big.feed("\n\n", out));
}
