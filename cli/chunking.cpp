// Chunking (ingest.h): a document's sections → chunks of about 500 tokens, cut at line breaks
// or spaces, with about 50 tokens of overlap after a cut.
#include <algorithm>

#include "ingest.h"
#include "ingest_builder.h"

namespace salient::cli {
namespace {

using ingest_detail::is_space;
using ingest_detail::trim;

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

}  // namespace salient::cli
