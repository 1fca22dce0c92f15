#pragma once
// The local knowledge index: BM25 over the business's own content (knowledge/), built once by
// the native `salient ingest` and bundled with the functions, searched inside the wasm with no
// network. This file is both sides of one binary format:
//
//   build_knowledge_index(chunks) → bytes       native, at build time
//   knowledge_index::load(bytes)  → index       wasm, once per instance (validated: the bytes
//                                               come from a file, and every parser is fuzzed)
//   index.search(query, k)        → top k       wasm, per question
//
// Tokenising is shared, so the index and the queries agree on what a term is: lower-cased
// ASCII letters and digits; any byte >= 0x80 is part of a word (UTF-8 words stay whole,
// unstemmed); English stop words dropped; a light plural/verb suffix stripping (our own, small
// and predictable: "gardens"→"garden", "hedges"→"hedge", "berries"→"berry", "planting"→"plant").
// The chunk's title and heading are indexed with its text, so a question that names a page's
// subject finds it.
//
// Format (all integers u32 little-endian; strings are (offset, length) into the string area):
//   "SLKI" version=1 n_chunks n_terms total_postings strings_bytes
//   chunks[n_chunks]: source title heading url text (5 × offset,length) doc_tokens
//   terms[n_terms], sorted by bytes: term (offset,length) first_posting posting_count
//   postings[total_postings]: chunk tf
//   strings
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "salient/core/result.h"

namespace salient {

struct knowledge_chunk {
  std::string source;   ///< file path under knowledge/, e.g. "services/garden-design.md"
  std::string title;    ///< the document's title
  std::string heading;  ///< the section the chunk is under, e.g. "Pricing › Deposits"; may be empty
  std::string url;      ///< where a visitor reads it (front matter `url:`, plus #anchor); may be empty
  std::string text;     ///< the chunk's plain text
};

/// Appends the terms of `text` to `out` (see the file comment).
void knowledge_terms(std::string_view text, std::vector<std::string>& out);

/// The index bytes for `chunks` (at most 2^24 chunks; strings of any size).
std::string build_knowledge_index(const std::vector<knowledge_chunk>& chunks);

class knowledge_index {
 public:
  struct chunk_view {
    std::string_view source, title, heading, url, text;
  };
  struct hit {
    std::uint32_t chunk = 0;
    float score = 0;  ///< BM25 (k1 = 1.2, b = 0.75); only comparable within one query
  };

  knowledge_index() = default;
  /// Takes the bytes and checks every offset and count; an error names what is wrong.
  static result<knowledge_index> load(std::string bytes);

  std::size_t size() const { return n_chunks_; }
  bool empty() const { return n_chunks_ == 0; }
  chunk_view chunk(std::uint32_t i) const;

  /// The best `k` chunks for `query`, best first; chunks that share no term are left out.
  /// Ties go to the earlier chunk.
  std::vector<hit> search(std::string_view query, std::size_t k) const;

 private:
  std::uint32_t u32(std::size_t at) const;
  std::string_view str(std::size_t at) const;  // the (offset, length) pair at `at`

  std::string bytes_;
  std::uint32_t n_chunks_ = 0, n_terms_ = 0, n_postings_ = 0;
  std::size_t chunks_at_ = 0, terms_at_ = 0, postings_at_ = 0, strings_at_ = 0;
  float avg_tokens_ = 0;
};

}  // namespace salient
