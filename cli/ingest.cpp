// `salient ingest`'s extraction (ingest.h): one file's bytes → a document, by its format; the
// heading slugs; and the walk of the knowledge folder. The readers: ingest_builder.h.
#include "ingest.h"

#include <algorithm>
#include <system_error>
#include <utility>

#include "ingest_builder.h"
#include "salient/core/http.h"

namespace salient::cli {
namespace {

namespace fs = std::filesystem;
using namespace ingest_detail;

std::string where(std::string_view bytes, std::size_t at) {
  std::size_t line = 1 + static_cast<std::size_t>(std::count(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  return "line " + std::to_string(line) + ", byte " + std::to_string(at + 1);
}

std::string file_stem(std::string_view source) {
  std::size_t slash = source.rfind('/');
  std::string_view name = slash == std::string_view::npos ? source : source.substr(slash + 1);
  std::size_t dot = name.rfind('.');
  if (dot != std::string_view::npos && dot > 0) name = name.substr(0, dot);
  return std::string(name);
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
      read_markdown(bytes.substr(fm.body), b);
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
