// The local knowledge index: terms, BM25 ranking, the binary format and its validation.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

#include "salient/knowledge/knowledge.h"

using namespace salient;

namespace {

std::vector<std::string> terms(std::string_view text) {
  std::vector<std::string> out;
  knowledge_terms(text, out);
  return out;
}

std::vector<knowledge_chunk> demo() {
  return {
      {"pricing.md", "Prices and quotes", "Deposits", "/pricing#deposits",
       "We ask for a 25% deposit when you accept a quote. The balance is due on completion."},
      {"services/lawns.md", "Lawn care", "New lawns", "/services/lawns#new-lawns",
       "New lawns are laid from turf or sown from seed in spring and autumn."},
      {"contact.txt", "Contact us", "", "",
       "Call us on weekdays from 8am to 6pm. Saturday visits by appointment. Gardens, hedges and berries."},
  };
}

knowledge_index load_demo() {
  auto ix = knowledge_index::load(build_knowledge_index(demo()));
  REQUIRE(ix.ok());
  return std::move(*ix);
}

}  // namespace

TEST_CASE("knowledge: terms are lower-cased words without stop words, lightly stemmed", "[knowledge]") {
  CHECK(terms("How much do NEW Lawns cost?") == std::vector<std::string>{"much", "new", "lawn", "cost"});
  CHECK(terms("gardens hedges berries planting planned glasses") ==
        std::vector<std::string>{"garden", "hedge", "berry", "plant", "plan", "glass"});
  CHECK(terms("don't visitor's") == std::vector<std::string>{"dont", "visitor"});
  CHECK(terms("café 25% 8am") == std::vector<std::string>{"café", "25", "8am"});
  CHECK(terms("the and of to").empty());
  CHECK(terms("bed sing bus").size() == 3);  // too short or no vowel left: unchanged
  CHECK(terms("bed sing bus") == std::vector<std::string>{"bed", "sing", "bus"});
  // A suffix that took a silent e gives it back, so the word meets its base form.
  CHECK(terms("hiring hire hired baking placed") == std::vector<std::string>{"hire", "hire", "hire", "bake", "place"});
  CHECK(terms("gardening opened showing") == std::vector<std::string>{"garden", "open", "show"});
}

TEST_CASE("knowledge: search ranks the chunk that shares the rare terms first", "[knowledge]") {
  knowledge_index ix = load_demo();
  REQUIRE(ix.size() == 3);
  auto hits = ix.search("whats the deposit?", 3);
  REQUIRE_FALSE(hits.empty());
  CHECK(ix.chunk(hits[0].chunk).source == "pricing.md");
  CHECK(ix.chunk(hits[0].chunk).url == "/pricing#deposits");
  CHECK(ix.chunk(hits[0].chunk).heading == "Deposits");

  hits = ix.search("can you lay a new lawn", 3);
  REQUIRE_FALSE(hits.empty());
  CHECK(ix.chunk(hits[0].chunk).title == "Lawn care");

  // Titles and headings are indexed: "contact" appears only in a title.
  hits = ix.search("contact", 3);
  REQUIRE(hits.size() == 1);
  CHECK(ix.chunk(hits[0].chunk).source == "contact.txt");

  CHECK(ix.search("zebra quantum", 3).empty());
  CHECK(ix.search("", 3).empty());
  CHECK(ix.search("lawn deposit saturday", 2).size() == 2);  // k bounds the answer
  auto all = ix.search("lawn deposit saturday", 10);
  for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].score >= all[i].score);
}

TEST_CASE("knowledge: an empty index loads and finds nothing", "[knowledge]") {
  auto ix = knowledge_index::load(build_knowledge_index({}));
  REQUIRE(ix.ok());
  CHECK(ix->empty());
  CHECK(ix->search("anything", 5).empty());
}

TEST_CASE("knowledge: damaged index bytes are refused with a clear error, never read out of bounds", "[knowledge]") {
  std::string good = build_knowledge_index(demo());
  auto refused = [](std::string bytes) {
    auto ix = knowledge_index::load(std::move(bytes));
    if (ix.ok()) return false;
    CHECK(ix.err().message.find("salient ingest") != std::string::npos);
    return true;
  };
  CHECK(refused(""));
  CHECK(refused("SLKX" + good.substr(4)));
  std::string v2 = good;
  v2[4] = 2;
  CHECK(refused(v2));
  // Every truncation and every appended byte breaks the size check.
  for (std::size_t n = 0; n < good.size(); ++n) CHECK(refused(good.substr(0, n)));
  CHECK(refused(good + "x"));
  // Flipping any single byte either is refused or still yields a consistent, searchable index.
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5A);
    auto ix = knowledge_index::load(bad);
    if (!ix.ok()) continue;
    for (const auto& h : ix->search("deposit lawn saturday contact", 5)) {
      CHECK(h.chunk < ix->size());
      (void)ix->chunk(h.chunk);
    }
  }
}
