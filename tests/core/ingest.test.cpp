// `salient ingest`'s extraction and chunking (cli/ingest.h), and the index built from them.
#include <catch2/catch_test_macros.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ingest.h"
#include "salient/core/http.h"
#include "salient/knowledge/knowledge.h"

using namespace salient;
using namespace salient::cli;

namespace {

const std::string fixtures = std::string(SALIENT_FIXTURES_DIR) + "/knowledge";

source_document extract(std::string_view bytes, source_format format, std::string_view source = "doc") {
  auto doc = extract_document(bytes, format, source);
  REQUIRE(doc);
  return *doc;
}

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Every file under `root`, extracted and chunked, in order.
std::vector<knowledge_chunk> ingest_dir(const std::string& root, const chunk_options& options = {}) {
  auto files = list_knowledge_files(root);
  REQUIRE(files);
  std::vector<knowledge_chunk> out;
  for (const knowledge_file& f : *files) {
    auto doc = extract_document(read(f.path), f.format, f.source);
    REQUIRE(doc);
    for (knowledge_chunk& c : chunk_document(*doc, options)) out.push_back(std::move(c));
  }
  return out;
}

source_document one_section(std::string text, std::string url = {}) {
  source_document doc;
  doc.source = "doc.md";
  doc.title = "Doc";
  doc.url = std::move(url);
  doc.sections.push_back({"Doc", "Doc", "doc", std::move(text)});
  return doc;
}

/// "w0000 w0001 …": n distinct six-byte words.
std::string words(int n, int from = 0) {
  std::string out;
  for (int i = from; i < from + n; ++i) {
    if (!out.empty()) out += ' ';
    std::string num = std::to_string(i);
    out += "w" + std::string(4 - num.size(), '0') + num;
  }
  return out;
}

/// The longest k such that `a` ends with the first k bytes of `b`.
std::size_t overlap_of(const std::string& a, const std::string& b) {
  for (std::size_t k = std::min(a.size(), b.size()); k > 0; --k)
    if (a.ends_with(std::string_view(b).substr(0, k))) return k;
  return 0;
}

}  // namespace

TEST_CASE("ingest: markdown blocks land in the section of their heading path", "[ingest]") {
  auto doc = extract(R"(Intro before any heading.

# Prices

Every bike is *different*,
so we quote.

## Deposits

- A $20 deposit
- Refundable until 24 hours before
  - nested detail

| Service | Price |
|---|---|
| Safety check | $25 |

### Card payments

```
code  keeps   its spacing
  and indentation
```

# Contact

Call us.
)",
                     source_format::markdown, "guide/prices.md");
  REQUIRE(doc.sections.size() == 5);
  CHECK(doc.sections[0].path.empty());
  CHECK(doc.sections[0].text == "Intro before any heading.");
  CHECK(doc.sections[1].path == "Prices");
  CHECK(doc.sections[1].text == "Every bike is different, so we quote.");
  CHECK(doc.sections[2].path == "Prices \xE2\x80\xBA Deposits");
  CHECK(doc.sections[2].heading == "Deposits");
  CHECK(doc.sections[2].anchor == "deposits");
  CHECK(doc.sections[2].text ==
        "A $20 deposit\nRefundable until 24 hours before\nnested detail\n\nService | Price\nSafety check | $25");
  CHECK(doc.sections[3].path == "Prices \xE2\x80\xBA Deposits \xE2\x80\xBA Card payments");
  CHECK(doc.sections[3].text == "code  keeps   its spacing\n  and indentation");
  CHECK(doc.sections[4].path == "Contact");  // a new h1 closes the deeper headings
  CHECK(doc.sections[4].text == "Call us.");
  CHECK(doc.title == "Prices");  // the first h1, without front matter
  CHECK(doc.url.empty());
}

TEST_CASE("ingest: markdown front matter gives the title and url", "[ingest]") {
  auto doc = extract("---\ntitle: \"Prices & booking\"\nurl: 'https://x.example/pricing'\nlayout: page\n---\n# Prices\n\nText.\n",
                     source_format::markdown);
  CHECK(doc.title == "Prices & booking");
  CHECK(doc.url == "https://x.example/pricing");
  REQUIRE(doc.sections.size() == 1);
  CHECK(doc.sections[0].text == "Text.");

  SECTION("unclosed front matter is Markdown (a rule and text)") {
    auto d = extract("---\ntitle: x\n", source_format::markdown, "dir/notes.md");
    CHECK(d.title == "notes");  // no h1: the file name
    CHECK(d.url.empty());
    REQUIRE(d.sections.size() == 1);
    CHECK(d.sections[0].text == "title: x");
  }
  SECTION("CRLF line ends") {
    auto d = extract("---\r\ntitle: Crlf\r\n---\r\nBody\r\ntext\r\n", source_format::markdown);
    CHECK(d.title == "Crlf");
    REQUIRE(d.sections.size() == 1);
    CHECK(d.sections[0].text == "Body text");
  }
}

TEST_CASE("ingest: markdown entities are decoded, inline HTML tags and image alt text dropped", "[ingest]") {
  auto doc = extract("Fish &amp; chips &eacute;t&#233; &#x2764; &nbsp;x &bogus;\n\n"
                     "A <span class=\"x\">tagged</span> word ![a logo](logo.png) [a link](https://x.example).\n\n"
                     "<div>\n<script>alert(1)</script>\n<p>Raw &lt;html&gt; block</p>\n</div>\n",
                     source_format::markdown);
  REQUIRE(doc.sections.size() == 1);
  CHECK(doc.sections[0].text ==
        "Fish & chips \xC3\xA9t\xC3\xA9 \xE2\x9D\xA4 x &bogus;\n\nA tagged word a link.\n\nRaw <html> block");
}

TEST_CASE("ingest: html text skips chrome and scripts, decodes entities, reads title and url", "[ingest]") {
  auto doc = extract(read(fixtures + "/site/help/returns.html"), source_format::html, "help/returns.html");
  CHECK(doc.title == "Returns & warranty \xE2\x80\x94 Harbour Bikes");
  CHECK(doc.url == "https://harbour-bikes.example/help/returns");
  REQUIRE(doc.sections.size() == 3);
  CHECK(doc.sections[0].path == "Returns & warranty");
  CHECK(doc.sections[0].anchor == "returns--warranty");
  CHECK(doc.sections[0].text == "Unused parts can be returned within 30 days with the receipt.");
  CHECK(doc.sections[1].path == "Returns & warranty \xE2\x80\xBA Frame warranty");
  CHECK(doc.sections[1].anchor == "frames");  // the heading's id
  CHECK(doc.sections[1].text ==
        "Frames we build carry a lifetime warranty against cracks at the welds \xE2\x80\x94 ask in the shop.\n\n"
        "Keep your receipt.\nBring the bike in clean.");
  CHECK(doc.sections[2].anchor == "wheels");
  for (const auto& s : doc.sections)
    for (std::string_view gone : {"header banner", "Home", "footer", "analytics", "not text", "font-family"})
      CHECK(s.text.find(gone) == std::string::npos);
}

TEST_CASE("ingest: html url from salient:url before canonical; tables, pre, br, hidden", "[ingest]") {
  auto doc = extract(R"(<html><head><link rel="alternate canonical" href="/canon">
<meta name="salient:url" content=" /chosen "></head><body>
<p>Line one<br>line   two</p>
<div hidden>secret</div>
<table><tr><th>Size</th><th>Price</th></tr><tr><td><p>Small</p></td><td>$5</td></tr></table>
<pre>  a
    b</pre>
<template><p>inert</p></template><svg><text>vector</text></svg>
</body></html>)",
                     source_format::html, "x/page.htm");
  CHECK(doc.url == "/chosen");
  CHECK(doc.title == "page");
  REQUIRE(doc.sections.size() == 1);
  CHECK(doc.sections[0].text == "Line one\nline two\n\nSize | Price\nSmall | $5\n\n  a\n    b");
}

TEST_CASE("ingest: html text is valid UTF-8 even where gumbo's is not", "[ingest]") {
  // gumbo 0.10.1 turns an overflowing numeric reference into a stray byte (found by fuzzing).
  auto doc = extract("<title>&#xAAAAAAAA;</title><h1 id=\"&#xAAAAAAAA;\">x</h1><p>a&#xAAAAAAAA;b</p>", source_format::html);
  REQUIRE(doc.sections.size() == 1);
  CHECK(doc.sections[0].text == "a\xEF\xBF\xBD" "b");
  CHECK(is_valid_utf8(doc.title));
  CHECK(is_valid_utf8(doc.sections[0].anchor));
  // Markdown: CommonMark takes up to 6 hex digits as a reference (gumbo decodes it: U+FFFD
  // beyond U+10FFFF); longer ones are text.
  CHECK(extract("a &#x110000; &#xAAAAAAAA; b", source_format::markdown).sections[0].text == "a \xEF\xBF\xBD &#xAAAAAAAA; b");
}

TEST_CASE("ingest: plain text takes its first line as the title and splits paragraphs on blank lines", "[ingest]") {
  auto doc = extract("\n  Opening hours  \n\nTuesday to   Saturday.\r\nClosed on holidays.\r\n\r\n\r\nDrop-off before 10am.\n",
                     source_format::text, "opening-hours.txt");
  CHECK(doc.title == "Opening hours");
  REQUIRE(doc.sections.size() == 1);
  CHECK(doc.sections[0].path == "Opening hours");
  CHECK(doc.sections[0].text == "Tuesday to Saturday.\nClosed on holidays.\n\nDrop-off before 10am.");
}

TEST_CASE("ingest: bytes that are not UTF-8 text are an error saying where", "[ingest]") {
  auto bad = extract_document("ok\nCaf\xE9\n", source_format::text, "menu.txt");
  REQUIRE_FALSE(bad);
  CHECK(bad.err().kind == errc::bad_request);
  CHECK(bad.err().message == "not valid UTF-8 (line 2, byte 7): save it as UTF-8");
  CHECK_FALSE(extract_document("\xED\xA0\x80", source_format::markdown, "x"));  // a surrogate
  CHECK_FALSE(extract_document("\xC0\xAF", source_format::html, "x"));          // an overlong '/'
  auto nul = extract_document(std::string_view("a\0b", 3), source_format::markdown, "x");
  REQUIRE_FALSE(nul);
  CHECK(nul.err().message.starts_with("contains a NUL byte (line 1, byte 2)"));
  // A byte order mark is not text.
  CHECK(extract("\xEF\xBB\xBF# T\n\nx", source_format::markdown).title == "T");
}

TEST_CASE("ingest: heading anchors are GitHub slugs, de-duplicated", "[ingest]") {
  CHECK(heading_slug("Pricing, quotes and payment") == "pricing-quotes-and-payment");
  CHECK(heading_slug("How we work \xE2\x80\x94 step 1") == "how-we-work--step-1");
  CHECK(heading_slug("What's new? (2025)") == "whats-new-2025");
  CHECK(heading_slug("snake_case & kebab-case") == "snake_case--kebab-case");
  CHECK(heading_slug("Caf\xC3\xA9 \xE2\x80\x9Cmenu\xE2\x80\x9D") == "caf\xC3\xA9-menu");
  auto doc = extract("# FAQ\n\n## Price\n\na\n\n## Price\n\nb\n\n## Price\n\nc\n", source_format::markdown);
  REQUIRE(doc.sections.size() == 3);
  CHECK(doc.sections[0].anchor == "price");
  CHECK(doc.sections[1].anchor == "price-1");
  CHECK(doc.sections[2].anchor == "price-2");
}

TEST_CASE("ingest: a long section is cut under the limit at word boundaries, with about 50 tokens of overlap", "[ingest]") {
  std::string text = words(1500);  // ~9 KB
  auto chunks = chunk_document(one_section(text));
  REQUIRE(chunks.size() >= 5);
  std::set<std::string> vocabulary;
  {
    std::istringstream in(text);
    for (std::string w; in >> w;) vocabulary.insert(w);
  }
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const std::string& t = chunks[i].text;
    CHECK(t.size() <= 500 * bytes_per_token);
    if (i + 1 < chunks.size()) CHECK(t.size() >= 250 * bytes_per_token);
    std::istringstream in(t);
    for (std::string w; in >> w;) CHECK(vocabulary.count(w) == 1);  // no word cut
    CHECK(chunks[i].heading == "Doc");
    if (i > 0) {
      std::size_t k = overlap_of(chunks[i - 1].text, t);
      CHECK(k >= 50 * bytes_per_token - 6);
      CHECK(k <= 50 * bytes_per_token + 1);
    }
  }
  CHECK(chunks.front().text.starts_with("w0000 "));
  CHECK(chunks.back().text.ends_with(" w1499"));
}

TEST_CASE("ingest: chunk cuts prefer line breaks", "[ingest]") {
  std::string text = words(200) + "\n\n" + words(400, 200);
  auto chunks = chunk_document(one_section(text));
  REQUIRE(chunks.size() >= 2);
  CHECK(chunks[0].text == words(200));  // 1199 bytes: the break is in the second half of 2000
}

TEST_CASE("ingest: sections pack into a chunk while they fit; the next section starts a chunk of its own", "[ingest]") {
  source_document doc;
  doc.source = "p.md";
  doc.title = "P";
  doc.url = "/p#old";
  doc.sections = {{"", "", "", "Intro."},
                  {"P", "P", "p", "Short."},
                  {"P \xE2\x80\xBA Deposits", "Deposits", "deposits", words(200)},
                  {"P \xE2\x80\xBA Big", "Big", "big", words(150, 1000)}};
  auto chunks = chunk_document(doc);
  REQUIRE(chunks.size() == 2);
  CHECK(chunks[0].heading.empty());
  CHECK(chunks[0].url == "/p");  // before any heading: the document's url (its fragment dropped)
  CHECK(chunks[0].text == "Intro.\n\nP\nShort.\n\nDeposits\n" + words(200));
  // 1200 + 900 bytes do not fit in 2000: "Big" starts a chunk, with no overlap.
  CHECK(chunks[1].heading == "P \xE2\x80\xBA Big");
  CHECK(chunks[1].url == "/p#big");
  CHECK(chunks[1].text == words(150, 1000));
  CHECK(chunks[1].source == "p.md");
  CHECK(chunks[1].title == "P");

  doc.url.clear();
  for (const auto& c : chunk_document(doc)) CHECK(c.url.empty());
}

TEST_CASE("ingest: a chunk under a quarter full runs on into the next section and names where it starts", "[ingest]") {
  source_document doc;
  doc.source = "p.md";
  doc.title = "P";
  doc.url = "/p";
  doc.sections = {{"A", "A", "a", "Small start."}, {"A \xE2\x80\xBA B", "B", "b", words(600)}};
  auto chunks = chunk_document(doc);
  REQUIRE(chunks.size() >= 2);
  CHECK(chunks[0].heading == "A");
  CHECK(chunks[0].text.starts_with("Small start.\n\nB\nw0000 "));
  CHECK(chunks[1].heading == "A \xE2\x80\xBA B");
  CHECK(chunks[1].url == "/p#b");
}

TEST_CASE("ingest: multi-byte UTF-8 is never split, even in a word longer than a chunk", "[ingest]") {
  chunk_options small{64, 8};  // 256-byte chunks
  std::string cjk;
  for (int i = 0; i < 300; ++i) cjk += "\xE6\x97\xA5\xE6\x9C\xAC";  // 日本, no spaces: 1800 bytes
  std::string emoji;
  for (int i = 0; i < 100; ++i) emoji += "a\xF0\x9F\x8C\xB1 ";  // "a🌱 "
  for (const std::string& text : {cjk, emoji, "\xC3\xA9" + cjk}) {
    auto chunks = chunk_document(one_section(text), small);
    REQUIRE(chunks.size() >= 2);
    for (const auto& c : chunks) {
      CHECK(is_valid_utf8(c.text));
      CHECK(!c.text.empty());
      CHECK(c.text.size() <= 64 * bytes_per_token);
    }
  }
}

TEST_CASE("ingest: the fixture site lists sorted, without hidden files or other types", "[ingest]") {
  auto files = list_knowledge_files(fixtures + "/site");
  REQUIRE(files);
  std::vector<std::string> sources;
  for (const auto& f : *files) sources.push_back(f.source);
  CHECK(sources == std::vector<std::string>{"empty.md", "help/returns.html", "opening-hours.txt", "pricing.md"});
  auto missing = list_knowledge_files(fixtures + "/no-such-dir");
  REQUIRE_FALSE(missing);
  CHECK(missing.err().message == "no such directory");
  CHECK(list_knowledge_files(fixtures + "/site/pricing.md").err().message == "not a directory");
  CHECK(format_of("A.MARKDOWN") == source_format::markdown);
  CHECK_FALSE(format_of("logo.svg"));
}

TEST_CASE("ingest: the index of the fixture site loads and finds each chunk by its words", "[ingest]") {
  auto chunks = ingest_dir(fixtures + "/site", {64, 8});
  std::string bytes = build_knowledge_index(chunks);
  CHECK(build_knowledge_index(ingest_dir(fixtures + "/site", {64, 8})) == bytes);  // deterministic
  auto index = knowledge_index::load(bytes);
  REQUIRE(index);
  REQUIRE(index->size() == chunks.size());

  auto hits = index->search("how much is the deposit?", 3);
  REQUIRE_FALSE(hits.empty());
  auto top = index->chunk(hits[0].chunk);
  CHECK(top.source == "pricing.md");
  CHECK(top.heading == "Prices and booking \xE2\x80\xBA Deposits");
  CHECK(top.url == "https://harbour-bikes.example/pricing#deposits");
  CHECK(top.title == "Prices & booking");
  CHECK(top.text.starts_with("A booking deposit of $20"));

  hits = index->search("frame warranty", 1);
  REQUIRE(hits.size() == 1);
  // The short introduction (under a quarter of a chunk) runs on into "Frame warranty".
  CHECK(index->chunk(hits[0].chunk).url == "https://harbour-bikes.example/help/returns#returns--warranty");
  hits = index->search("are wheels trued for free?", 1);
  REQUIRE(hits.size() == 1);
  CHECK(index->chunk(hits[0].chunk).url == "https://harbour-bikes.example/help/returns#wheels");

  hits = index->search("when are you open on saturday", 1);
  REQUIRE(hits.size() == 1);
  CHECK(index->chunk(hits[0].chunk).source == "opening-hours.txt");
  CHECK(index->chunk(hits[0].chunk).url.empty());

  CHECK(index->search("analytics", 5).empty());  // script text is not indexed
  CHECK(index->search("draft", 5).empty());      // nor hidden files

  // With the default sizes every fixture file is one chunk.
  auto whole = ingest_dir(fixtures + "/site");
  CHECK(whole.size() == 3);
  CHECK(knowledge_index::load(build_knowledge_index(whole)));
}
