// `salient ingest`'s extraction (md4c, gumbo, plain text) and chunking on arbitrary bytes.
// Input: byte 0 picks the format, byte 1 the chunk size (16–143 tokens, so that short inputs
// are cut too) and overlap; the rest is the file. Invariants: extraction returns a document or
// a bad_request error, and a document whenever the bytes are UTF-8 without NUL; every section
// and chunk is non-empty valid UTF-8; no chunk is longer than its limit or starts or ends with
// whitespace, and each names its document and a heading path the document has; the chunks
// make an index that loads.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest.h"
#include "salient/core/http.h"
#include "salient/knowledge/knowledge.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  using salient::cli::source_format;
  const source_format formats[] = {source_format::markdown, source_format::html, source_format::text};
  source_format format = formats[data[0] % 3];
  salient::cli::chunk_options options{16 + data[1] % 128u, data[1] % 48u};
  std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);

  auto doc = salient::cli::extract_document(bytes, format, "dir/file.md");
  std::string_view body = bytes.starts_with("\xEF\xBB\xBF") ? bytes.substr(3) : bytes;
  if (!doc) {
    check(doc.err().kind == salient::errc::bad_request && !doc.err().message.empty());
    check(!salient::is_valid_utf8(body) || body.find('\0') != std::string_view::npos);
    return 0;
  }
  check(salient::is_valid_utf8(doc->title) && !doc->title.empty() && salient::is_valid_utf8(doc->url));
  for (const auto& s : doc->sections) {
    check(!s.text.empty() && salient::is_valid_utf8(s.text));
    check(salient::is_valid_utf8(s.path) && salient::is_valid_utf8(s.heading) && salient::is_valid_utf8(s.anchor));
  }

  auto chunks = salient::cli::chunk_document(*doc, options);
  const std::size_t limit = options.max_tokens * salient::cli::bytes_per_token;
  for (const auto& c : chunks) {
    check(!c.text.empty() && c.text.size() <= limit && salient::is_valid_utf8(c.text));
    check(!is_space(c.text.front()) && !is_space(c.text.back()));
    check(c.source == doc->source && c.title == doc->title);
    check(std::any_of(doc->sections.begin(), doc->sections.end(), [&](const auto& s) { return s.path == c.heading; }));
    check(c.url.empty() == doc->url.empty() || doc->url.starts_with('#'));
  }
  check(chunks.empty() == doc->sections.empty());
  check(salient::knowledge_index::load(salient::build_knowledge_index(chunks)).ok());
  return 0;
}
