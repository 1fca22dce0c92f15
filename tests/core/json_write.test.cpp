// Hand-written JSON text must read back, through a real parser, as exactly what was written.
#include <catch2/catch_test_macros.hpp>

#include <nlohmann/json.hpp>

#include "salient/json_write.h"

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

TEST_CASE("json_write: looks_like_json_object only checks the braces", "[json]") {
  CHECK(looks_like_json_object("{}"));
  CHECK(looks_like_json_object(" \n{\"a\":1}\t"));
  CHECK_FALSE(looks_like_json_object(""));
  CHECK_FALSE(looks_like_json_object("[1]"));
  CHECK_FALSE(looks_like_json_object("{"));
}
