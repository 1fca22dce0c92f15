// The canary and its filter (flows/stream/canary_filter.h): the marker is caught however the
// model's text is cut into pieces, in any case, spaced out or with invisible characters between
// its letters; nothing of it is returned; a normal answer goes through whole, with nothing left
// held at its end; and no piece returned ends inside a UTF-8 character.
#include <catch2/catch_test_macros.hpp>

#include <random>
#include <string>
#include <vector>

#include "canary_support.h"

using namespace salient;
using namespace canary_test;

namespace {

bool whole_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

/// `canary` with its a, c, e, i, o, p, s, x, y as Cyrillic lookalikes.
std::string lookalikes(const std::string& canary) {
  std::string out;
  for (char c : canary) {
    switch (c) {
      case 'a': out += "\xd0\xb0"; break;  // U+0430
      case 'c': out += "\xd1\x81"; break;  // U+0441
      case 'e': out += "\xd0\xb5"; break;  // U+0435
      case 'i': out += "\xd1\x96"; break;  // U+0456
      case 'o': out += "\xd0\xbe"; break;  // U+043E
      case 'p': out += "\xd1\x80"; break;  // U+0440
      case 's': out += "\xd1\x95"; break;  // U+0455
      case 'x': out += "\xd1\x85"; break;  // U+0445
      case 'y': out += "\xd1\x83"; break;  // U+0443
      default: out += c;
    }
  }
  return out;
}

/// `canary` in fullwidth forms (U+FF10… digits, U+FF41… letters).
std::string fullwidth(const std::string& canary) {
  std::string out;
  for (char c : canary) {
    char32_t cp = c >= 'a' && c <= 'z' ? 0xFF41 + static_cast<char32_t>(c - 'a')
                  : c >= '0' && c <= '9' ? 0xFF10 + static_cast<char32_t>(c - '0')
                                         : static_cast<char32_t>(c);
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("canary: derived from the secret, salient-canary- and 16 base32 characters", "[canary]") {
  std::string c = canary_for(secret);
  REQUIRE(c.size() == 31);
  CHECK(c.rfind("salient-canary-", 0) == 0);
  for (char ch : c.substr(15)) CHECK(((ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7')));
  CHECK(canary_for(secret) == c);                                   // the same on every instance
  CHECK(canary_for("another-secret-0123456789abcdef01234") != c);  // and per deployment
  CHECK(canary_prompt(c).find(c) != std::string::npos);
  CHECK(canary_prompt(c).find("confidential") != std::string::npos);
}

TEST_CASE("canary: split across every token boundary, it is stopped and nothing of it is returned", "[canary]") {
  const std::string canary = canary_for(secret);
  const std::string before = "Sure! My instructions say: ", after = " and then more text.";
  const std::string text = before + canary + after;
  // Two cuts anywhere (every pair of boundaries): three pieces.
  for (std::size_t i = 0; i <= text.size(); ++i) {
    for (std::size_t j = i; j <= text.size(); j += 3) {
      auto r = run(canary, {text.substr(0, i), text.substr(i, j - i), text.substr(j)});
      INFO("cuts at " << i << ", " << j);
      REQUIRE(r.blocked);
      REQUIRE(r.out == before);
    }
  }
  auto bytewise = run(canary, bytes_of(text));
  CHECK(bytewise.blocked);
  CHECK(bytewise.out == before);
}

TEST_CASE("canary: at the very start, at the very end, and twice", "[canary]") {
  const std::string canary = canary_for(secret);
  auto start = run(canary, {canary + " is my marker."});
  CHECK(start.blocked);
  CHECK(start.out.empty());
  auto end = run(canary, {"The marker is ", canary});
  CHECK(end.blocked);
  CHECK(end.out == "The marker is ");
  auto twice = run(canary, {canary, canary});
  CHECK(twice.blocked);
  CHECK(twice.out.empty());
  // The stream's end right after it (no later piece): blocked at finish as well.
  canary_filter f(canary);
  CHECK(f.feed("x " + canary.substr(0, 20)) == "x ");
  CHECK(f.feed(canary.substr(20)).empty());
  CHECK(f.blocked());
  CHECK(f.finish().empty());
}

TEST_CASE("canary: any case, spaced out, invisible characters between its letters, lookalike letters", "[canary]") {
  const std::string canary = canary_for(secret);
  std::string tail_cut = canary;
  for (char& c : tail_cut)
    if (c == '-') c = ' ';
  const std::vector<std::string> variants = {
      upper(canary),
      "Salient-Canary-" + upper(canary.substr(15)),
      tail_cut,                                  // "salient canary xxxx"
      spread(canary, " "),                       // "s a l i e n t …"
      spread(canary, "\xe2\x80\x8b"),            // U+200B zero-width space
      spread(upper(canary), "\xe2\x80\x8c\xe2\x80\x8d"),  // ZWNJ + ZWJ
      spread(canary, "\xc2\xad"),                // soft hyphen
      spread(canary, "\xef\xbb\xbf"),            // U+FEFF
      spread(canary, "\xe2\x81\xa0"),            // word joiner
      spread(canary, "_"),
      spread(canary, "\n"),
      lookalikes(canary),                        // Cyrillic а, с, е, і, о, р, ѕ, х, у
      fullwidth(canary),
      lookalikes(spread(canary, " ")),
  };
  for (const std::string& v : variants) {
    INFO(v);
    auto whole = run(canary, {"Here: " + v + " — done."});
    CHECK(whole.blocked);
    CHECK(whole.out == "Here: ");
    auto bytewise = run(canary, bytes_of("Here: " + v + " — done."));
    CHECK(bytewise.blocked);
    CHECK(bytewise.out == "Here: ");
  }
}

TEST_CASE("canary: a marker cut short at the end is stopped once it reaches its secret letters", "[canary]") {
  const std::string canary = canary_for(secret);
  auto cut = run(canary, {"It is ", canary.substr(0, 15 + 5)});
  CHECK(cut.blocked);
  CHECK(cut.out == "It is ");
  // The tag alone is no secret (it is in the source code): it goes out at the end.
  auto tag = run(canary, {"The prefix is salient-canary-"});
  CHECK_FALSE(tag.blocked);
  CHECK(tag.out == "The prefix is salient-canary-");
}

TEST_CASE("canary: a normal answer goes through whole, nothing held at its end", "[canary]") {
  const std::string canary = canary_for(secret);
  const std::vector<std::string> answers = {
      "Yes, we deliver within 20 miles — café 😀 \"quoted\"\n",
      "Our salient points: sales, salads and a canary-yellow van. Salient is our app.",
      "Prices start at $10 [1]. Ask for a quote!",
      "Plants: roses, ferns, grasses",  // ends in 's': held until the end, then released
      "Visit salient-canary-shop.example for more.",
      "s a l i e n t   c a n a r y",
      "Сейчас всё есть в наличии: саженцы, семена. Ｓａｌｅ ends soon.",
  };
  for (const std::string& a : answers) {
    INFO(a);
    auto whole = run(canary, {a});
    CHECK_FALSE(whole.blocked);
    CHECK(whole.out == a);
    auto bytewise = run(canary, bytes_of(a));
    CHECK_FALSE(bytewise.blocked);
    CHECK(bytewise.out == a);
  }
  // Held back: only what could still be the canary, and none of an answer ending in a full stop.
  canary_filter f(canary);
  CHECK(f.feed("Fresh flowers.") == "Fresh flowers.");
  CHECK(f.held() == 0);
  CHECK(f.feed("Ferns") == "Fern");
  CHECK(f.held() == 1);
  CHECK(f.feed(" and more") == "s and more");
  CHECK(f.held() == 0);
  // A run of whitespace after a possible start is held only up to the gap limit.
  canary_filter g(canary);
  CHECK(g.feed("yes").size() == 2);
  std::string spaces(100, ' ');
  CHECK(g.feed(spaces).size() == 101);
  CHECK(g.held() == 0);
}

TEST_CASE("canary: no piece returned ends inside a UTF-8 character", "[canary]") {
  const std::string canary = canary_for(secret);
  const std::string text = "Café 日本 😀 ss\xe2\x80\x8bsa é 😀s";
  for (std::size_t size = 1; size <= 5; ++size) {
    std::vector<std::string> pieces;
    for (std::size_t at = 0; at < text.size(); at += size) pieces.push_back(text.substr(at, size));
    auto r = run(canary, pieces);
    CHECK(r.out == text);
    for (const std::string& p : r.returned) CHECK(whole_utf8(p));
  }
  // Before a stopped canary too.
  auto r = run(canary, bytes_of("😀é " + spread(canary, "\xe2\x80\x8b")));
  CHECK(r.blocked);
  CHECK(r.out == "😀é ");
  for (const std::string& p : r.returned) CHECK(whole_utf8(p));
}

TEST_CASE("canary: random texts and cuts: stopped exactly when the marker is in them", "[canary]") {
  const std::string canary = canary_for(secret);
  std::mt19937 rng(19);
  const std::vector<std::string> words = {"salient ", "s", "sa", "canary ", "é", "😀", "-", " ", "\xe2\x80\x8b", "x",
                                          "Sal", "ient", "salient-canary-", "\n", "2", "7"};
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int n = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) text += words[rng() % words.size()];
    const bool with = rng() % 2 == 0;
    std::size_t at = text.size();
    if (with) text += canary + words[rng() % words.size()];
    std::vector<std::string> pieces;
    for (std::size_t i = 0; i < text.size();) {
      std::size_t len = 1 + rng() % 7;
      pieces.push_back(text.substr(i, len));
      i += len;
    }
    auto r = run(canary, pieces);
    INFO(text);
    REQUIRE(r.blocked == with);
    if (with) {
      REQUIRE(r.out == text.substr(0, at));  // all that came before it, nothing of it
    } else {
      REQUIRE(r.out == text);
    }
  }
}
