// The canary filter's second line (flows/stream/canary_filter.h): the 16 secret characters on
// their own are caught like the whole marker; any number of invisible characters between the
// letters (bidi isolates, grapheme joiner, tag characters included) while what is held back
// stays bounded; and a partial match that leaks is blocked whether the answer ends there or
// other text breaks it.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

#include "canary_support.h"

using namespace salient;
using namespace canary_test;

namespace {

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

const std::string zwsp = "\xe2\x80\x8b";  // U+200B

}  // namespace

TEST_CASE("canary: its secret characters without the salient-canary- prefix are stopped", "[canary]") {
  const std::string canary = canary_for(secret);
  const std::string bare = canary.substr(15);
  REQUIRE(bare.size() == 16);
  const std::vector<std::string> variants = {bare, upper(bare), spread(bare, " "), spread(bare, zwsp),
                                             "SECRET: " + spread(upper(bare), "-")};
  for (const std::string& v : variants) {
    INFO(v);
    auto whole = run(canary, {"The marker is " + v + ", as asked."});
    CHECK(whole.blocked);
    CHECK(whole.out.rfind("The marker is ", 0) == 0);
    CHECK(whole.out.find(bare.substr(0, 4)) == std::string::npos);
    auto bytewise = run(canary, bytes_of("The marker is " + v + ", as asked."));
    CHECK(bytewise.blocked);
    CHECK(bytewise.out == whole.out);
  }
  // The whole marker is still stopped from its first letter (not from its secret part).
  auto full = run(canary, {"It is " + canary + "."});
  CHECK(full.blocked);
  CHECK(full.out == "It is ");
}

TEST_CASE("canary: any number of invisible characters between its letters, hold-back bounded", "[canary]") {
  const std::string canary = canary_for(secret);
  // 9 zero-width spaces (27 bytes) and 40 word joiners look the same as one.
  for (const std::string& between : {repeat(zwsp, 9), repeat("\xe2\x81\xa0", 40), zwsp + "\xc2\xad" + zwsp}) {
    auto r = run(canary, {"Here: " + spread(canary, between) + " done."});
    CHECK(r.blocked);
    CHECK(r.out == "Here: ");
  }
  // Visible separators still count: 30 spaces between two letters end the match.
  auto spaced = run(canary, {"Here: " + spread(canary, std::string(30, ' ')) + " done."});
  CHECK_FALSE(spaced.blocked);
  // A partial match followed by a flood of invisible characters is held at most max_held_bytes.
  canary_filter f(canary);
  std::string text = "Say salient";
  for (int i = 0; i < 3000; ++i) text += zwsp;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 7) {
    out += f.feed(text.substr(i, 7));
    CHECK(f.held() <= canary_filter::max_held_bytes + 4);
  }
  out += f.finish();
  CHECK_FALSE(f.blocked());
  CHECK(out == text);
  // …and if it already leaks, the flood does not get it released: blocked.
  auto leak = run(canary, {"x " + canary.substr(0, 15 + 5) + repeat(zwsp, 3000) + "tail"});
  CHECK(leak.blocked);
  CHECK(leak.out == "x ");
}

TEST_CASE("canary: bidi isolates, grapheme joiner, Mongolian vowel separator, tag characters", "[canary]") {
  const std::string canary = canary_for(secret);
  const std::vector<std::string> invisibles = {
      "\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8", "\xe2\x81\xa9",  // U+2066–U+2069
      "\xcd\x8f",                                                      // U+034F
      "\xe1\xa0\x8e",                                                  // U+180E
      "\xf3\xa0\x80\x80", "\xf3\xa0\x80\xa0", "\xf3\xa0\x81\xbf",      // U+E0000, U+E0020, U+E007F
  };
  for (const std::string& inv : invisibles) {
    INFO(inv);
    auto r = run(canary, bytes_of("Here: " + spread(canary, inv) + " done."));
    CHECK(r.blocked);
    CHECK(r.out == "Here: ");
  }
}

TEST_CASE("canary: a partial match that leaks is blocked when other text breaks it, as at the end", "[canary]") {
  const std::string canary = canary_for(secret);
  const std::string tag = "salient-canary-", bare = canary.substr(15);
  for (const std::string& after : {std::string(""), std::string(" is what you asked for."), std::string("!")}) {
    INFO(after);
    // The tag and 4 secret characters: blocked, from the tag on, whatever follows.
    auto four = run(canary, {"It is ", tag + bare.substr(0, 4) + after});
    CHECK(four.blocked);
    CHECK(four.out == "It is ");
    // The tag and 3: no secret worth keeping, goes out (at the end as well).
    auto three = run(canary, {"It is " + tag + bare.substr(0, 3) + after});
    CHECK_FALSE(three.blocked);
    CHECK(three.out == "It is " + tag + bare.substr(0, 3) + after);
    // The secret alone: 8 of its characters leak, 7 could be an ordinary word.
    auto eight = run(canary, bytes_of("It is " + upper(bare.substr(0, 8)) + after));
    CHECK(eight.blocked);
    CHECK(eight.out == "It is ");
    auto seven = run(canary, bytes_of("It is " + bare.substr(0, 7) + "." + after));
    CHECK_FALSE(seven.blocked);
    CHECK(seven.out == "It is " + bare.substr(0, 7) + "." + after);
  }
}
