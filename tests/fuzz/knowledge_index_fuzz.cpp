// The knowledge index loader (knowledge.h) on arbitrary bytes: it must refuse or accept without
// reading outside them, and an accepted index must answer searches with chunks it has. Inputs
// that start with "T" are instead split into chunk texts, indexed, and searched with their own
// words: build → load must always succeed, and a chunk searched with its own text must be among
// the hits. (Its text, not its stemmed terms: the stemmer is not idempotent, "…itsed" → "…its" →
// "…it", and a visitor types words, not stems.)
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "salient/knowledge/knowledge.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (!in.empty() && in.front() == 'T') {
    std::vector<salient::knowledge_chunk> chunks;
    std::string_view rest = in.substr(1);
    while (!rest.empty()) {
      std::size_t cut = rest.find('\n');
      chunks.push_back({"f.md", "t", "", "", std::string(rest.substr(0, cut))});
      if (cut == std::string_view::npos) break;
      rest.remove_prefix(cut + 1);
    }
    auto ix = salient::knowledge_index::load(salient::build_knowledge_index(chunks));
    if (!ix.ok() || ix->size() != chunks.size()) std::abort();
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      std::vector<std::string> terms;
      salient::knowledge_terms(chunks[i].text, terms);
      if (terms.empty()) continue;
      auto hits = ix->search(chunks[i].text, chunks.size());
      bool found = false;
      for (const auto& h : hits) {
        if (h.chunk >= ix->size()) std::abort();
        found = found || h.chunk == i;
      }
      if (!found) std::abort();  // every term of the chunk scores it above zero
    }
    return 0;
  }
  auto ix = salient::knowledge_index::load(std::string(in));
  if (!ix.ok()) return 0;
  for (const auto& h : ix->search("garden deposit lawn price", 5)) {
    if (h.chunk >= ix->size()) std::abort();
    auto c = ix->chunk(h.chunk);
    (void)c.text.size();
  }
  return 0;
}
