#pragma once
// `salient ingest`: the business's own content (knowledge/) → chunks for the BM25 index
// (salient/knowledge/knowledge.h). Three steps, the first two without I/O:
//
//   extract_document(bytes, format, source) → document   one file's text, by section
//   chunk_document(document)                → chunks     ~500 tokens each, 50 overlapping
//   list_knowledge_files(root)              → files      the directory walk (sorted)
//
// Extraction. Markdown goes through md4c (GitHub dialect: tables, task lists, autolinks),
// HTML through gumbo (entities decoded, script/style/nav/header/footer/aside/noscript/template/
// svg and `hidden` elements skipped), plain text is split on blank lines with its first
// non-empty line as the title and only heading. Each block (paragraph, list item, table row
// with its cells joined by " | ", code block) lands in the section of the heading above it.
// Markdown may open with front matter (`---` lines around `key: value` lines; `title:` and
// `url:` are read, quotes dropped); HTML takes its url from <meta name="salient:url"> or
// <link rel="canonical">. Title: front matter or <title>, else the first h1, else the file
// name without its extension.
//
// Chunking. A token is estimated as 4 bytes of UTF-8 (as salient::estimate_tokens does:
// close for English, an over-estimate for most other scripts), so 500 tokens ≈ 2000 bytes.
// Whole sections are packed into a chunk while they fit; a section that does not fit starts
// a new chunk, unless the current one is still under a quarter full, in which case the
// section continues it and is cut. A cut falls at the last line break in the second half of
// the chunk, else the last space, else (one word longer than half a chunk) at a UTF-8
// character boundary; the next chunk then starts with about 50 tokens of the previous one
// (from a word boundary). A chunk that starts at a section boundary has no overlap: its text
// would otherwise open with words from a section its heading does not name. Within a chunk,
// a later section's own heading appears as a line of text. Chunks never span documents, and
// the text starts with the content itself (title and heading are separate fields).
//
// Headings. A chunk's `heading` is the heading path where its text starts ("Pricing ›
// Deposits"); its url is the document's url plus "#anchor" of that heading: the heading's
// HTML `id`, else a GitHub-style slug (ASCII lower-cased, spaces → '-', ASCII punctuation and
// common Unicode punctuation dropped, other characters kept; a repeated slug gets "-1", "-2").
// A document without a url gives chunks without one.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "salient/knowledge/knowledge.h"
#include "salient/core/result.h"

namespace salient::cli {

enum class source_format { markdown, html, text };

/// The format for a file name by its extension (.md .markdown .html .htm .txt, any case);
/// nullopt for anything else.
std::optional<source_format> format_of(std::string_view file_name);

struct document_section {
  std::string path;     ///< heading path, "Pricing › Deposits"; empty before the first heading
  std::string heading;  ///< the last heading's own text ("Deposits")
  std::string anchor;   ///< its anchor, without '#'; may be empty
  std::string text;     ///< blocks joined by "\n\n" (list items and table rows by "\n")
};

struct source_document {
  std::string source;  ///< path under the knowledge root, '/'-separated
  std::string title;
  std::string url;     ///< may be empty
  std::vector<document_section> sections;
};

/// One file's text. `source` names the document (and gives the fallback title). Errors
/// (bad_request): the bytes are not UTF-8 or contain a NUL byte; the message says where.
result<source_document> extract_document(std::string_view bytes, source_format format, std::string_view source);

struct chunk_options {
  std::size_t max_tokens = 500;     ///< upper bound: no chunk's text is longer than 4× this in bytes
  std::size_t overlap_tokens = 50;  ///< capped at a quarter of max_tokens
};

constexpr std::size_t bytes_per_token = 4;

/// The chunks of one document, in order; none has empty text.
std::vector<knowledge_chunk> chunk_document(const source_document& doc, const chunk_options& options = {});

/// The GitHub-style slug of a heading (without the "-1" de-duplication).
std::string heading_slug(std::string_view heading);

struct knowledge_file {
  std::string source;          ///< path relative to the root, '/'-separated
  std::filesystem::path path;  ///< path to open
  source_format format;
};

/// The knowledge files under `root`, recursively, sorted by `source` (bytewise); hidden files
/// and directories (name starting with '.') and other extensions are left out. Errors
/// (not_found): `root` is not a directory.
result<std::vector<knowledge_file>> list_knowledge_files(const std::filesystem::path& root);

}  // namespace salient::cli
