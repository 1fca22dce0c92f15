#include <catch2/catch_test_macros.hpp>

#include "salient/core/http.h"

using namespace salient;

TEST_CASE("http: percent_decode decodes escapes and plus only in forms", "[http]") {
  CHECK(percent_decode("a%20b%2Fc", false) == "a b/c");
  CHECK(percent_decode("a+b", true) == "a b");
  CHECK(percent_decode("a+b", false) == "a+b");
  CHECK(percent_decode("%e2%82%AC", false) == "\xE2\x82\xAC");
}

TEST_CASE("http: percent_decode rejects truncated or non-hex escapes", "[http]") {
  CHECK_FALSE(percent_decode("%", false));
  CHECK_FALSE(percent_decode("abc%2", false));
  CHECK_FALSE(percent_decode("%zz", false));
}

TEST_CASE("http: percent_encode keeps only unreserved characters", "[http]") {
  CHECK(percent_encode("a-b.c_d~e") == "a-b.c_d~e");
  CHECK(percent_encode("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9");
}

TEST_CASE("http: parse_form splits pairs, decodes, keeps empty values", "[http]") {
  auto f = parse_form("message=hello+world&session_key=abc&flag&&empty=");
  REQUIRE(f.ok());
  CHECK(form_value(*f, "message") == "hello world");
  CHECK(form_value(*f, "session_key") == "abc");
  CHECK(form_value(*f, "flag") == "");
  CHECK(form_value(*f, "empty") == "");
  CHECK_FALSE(form_value(*f, "missing"));
}

TEST_CASE("http: parse_form fails with bad_request on a malformed escape", "[http]") {
  auto f = parse_form("message=100%");
  REQUIRE_FALSE(f.ok());
  CHECK(f.err().kind == errc::bad_request);
}

TEST_CASE("http: media_type lower-cases and drops parameters", "[http]") {
  CHECK(media_type("Application/JSON; charset=utf-8") == "application/json");
  CHECK(media_type("  text/html ") == "text/html");
  CHECK(media_type("") == "");
}

TEST_CASE("http: prefers_json follows the order of Accept", "[http]") {
  request r;
  r.headers = {{"accept", "application/json"}};
  CHECK(prefers_json(r));
  r.headers = {{"accept", "text/html,application/json"}};
  CHECK_FALSE(prefers_json(r));
  r.headers = {{"accept", "Application/JSON, text/html"}};
  CHECK(prefers_json(r));
  r.headers = {};
  CHECK_FALSE(prefers_json(r));
}

TEST_CASE("http: is_valid_utf8 rejects overlongs, surrogates and truncation", "[http]") {
  CHECK(is_valid_utf8("plain ascii"));
  CHECK(is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x8C\xB1"));  // é € 🌱
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));                        // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));                    // UTF-16 surrogate
  CHECK_FALSE(is_valid_utf8("\xE2\x82"));                        // truncated
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));                // above U+10FFFF
  CHECK(utf8_length("a\xC3\xA9\xF0\x9F\x8C\xB1") == 3);
}
