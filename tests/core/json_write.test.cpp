// Hand-written JSON text must read back, through a real parser, as exactly what was written.
#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <iterator>

#include <nlohmann/json.hpp>

#include "salient/core/json_write.h"

using namespace salient;

TEST_CASE("json_write: strings round-trip through nlohmann, control characters included", "[json]") {
  std::string all;
  for (int c = 1; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  for (std::string s : {std::string(), std::string("plain"), std::string("q\"b\\s/n\nr\rt\t"), std::string("café 😀 日本"), all}) {
    std::string out;
    append_json_string(out, s);
    auto parsed = nlohmann::json::parse(out, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    CHECK(parsed.get<std::string>() == s);
  }
  std::string nul;
  append_json_string(nul, std::string_view("a\0b", 3));
  CHECK(nul == "\"a\\u0000b\"");
}

TEST_CASE("json_write: strings of every mix of escapes and runs round-trip, appended after what is there", "[json]") {
  // Random strings over an alphabet heavy in what needs escaping, at lengths around the
  // 16-byte scan blocks, each appended to a prefix that must stay as it was.
  static constexpr std::string_view alphabet[] = {"a", "Z", " ", "\"", "\\", "\n", "\r", "\t", "\x01", "\x1f", "\b",
                                                  "/", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
  std::uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    const std::size_t parts = next() % 70;
    for (std::size_t k = 0; k < parts; ++k) s += alphabet[(next() >> 8) % std::size(alphabet)];
    std::string out = "prefix:";
    append_json_string(out, s);
    REQUIRE(out.substr(0, 7) == "prefix:");
    auto parsed = nlohmann::json::parse(out.substr(7), nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    REQUIRE(parsed.get<std::string>() == s);
  }
  std::string exact;
  append_json_string(exact, "\"\\\n\r\t\x01\b\x1f/\xc3\xa9");
  CHECK(exact == R"("\"\\\n\r\t\u0001\u0008\u001f/)" "\xc3\xa9\"");
}

TEST_CASE("json_write: looks_like_json_object only checks the braces", "[json]") {
  CHECK(looks_like_json_object("{}"));
  CHECK(looks_like_json_object(" \n{\"a\":1}\t"));
  CHECK_FALSE(looks_like_json_object(""));
  CHECK_FALSE(looks_like_json_object("[1]"));
  CHECK_FALSE(looks_like_json_object("{"));
}
