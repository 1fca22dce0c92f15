#include <catch2/catch_test_macros.hpp>

#include <nlohmann/json.hpp>

#include "salient/core/envelope.h"

using namespace salient;

TEST_CASE("envelope: a request head splits path and query and lower-cases header names", "[envelope]") {
  auto r = parse_request_head(
      R"({"method":"POST","url":"/a/sales/chat?x=1","headers":[["Content-Type","text/plain"]],"now_ms":5,"request_id":"r"})",
      "body");
  REQUIRE(r.ok());
  CHECK(r->path == "/a/sales/chat");
  CHECK(r->query == "x=1");
  CHECK(r->header("content-type") == "text/plain");
  CHECK(r->body == "body");
  CHECK(r->now_ms == 5);
  CHECK(r->entropy_seed.empty());
}

TEST_CASE("envelope: a request head with entropy yields a 32-byte seed", "[envelope]") {
  auto r = parse_request_head(
      R"({"method":"GET","url":"/","now_ms":1,"entropy":"ff00000000000000000000000000000000000000000000000000000000000001"})", "");
  REQUIRE(r.ok());
  REQUIRE(r->entropy_seed.size() == 32);
  CHECK(static_cast<unsigned char>(r->entropy_seed[0]) == 0xff);
  CHECK(r->entropy_seed[31] == 1);
}

TEST_CASE("envelope: malformed request heads are bad_request with a path", "[envelope]") {
  struct bad_case {
    const char* doc;
    const char* path;
  };
  for (auto [doc, path] : {bad_case{R"({"url":"/","now_ms":1})", "/method"},
                           bad_case{R"({"method":"GET","url":"x","now_ms":1})", "/url"},
                           bad_case{R"({"method":"GET","url":"/"})", "/now_ms"},
                           bad_case{R"({"method":"GET","url":"/","now_ms":1,"headers":{}})", "/headers"},
                           bad_case{R"({"method":"GET","url":"/","now_ms":1,"headers":[["a"]]})", "/headers"},
                           bad_case{R"({"method":"GET","url":"/","now_ms":1,"entropy":"zz"})", "/entropy"}}) {
    INFO(doc);
    auto r = parse_request_head(doc, "");
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().kind == errc::bad_request);
    CHECK(r.err().path == path);
  }
  CHECK_FALSE(parse_request_head("not json", "").ok());
  CHECK_FALSE(parse_request_head("[1,2]", "").ok());
}

TEST_CASE("envelope: response heads need a valid status", "[envelope]") {
  auto h = parse_response_head(R"({"status":201,"headers":[["X-A","b"]]})");
  REQUIRE(h.ok());
  CHECK(h->status == 201);
  CHECK(find_header(h->headers, "x-a") == "b");
  CHECK_FALSE(parse_response_head(R"({"status":99})").ok());
  CHECK_FALSE(parse_response_head(R"({"status":"200"})").ok());
}

TEST_CASE("envelope: effect failures map kinds and default to network", "[envelope]") {
  CHECK(parse_effect_failure(R"({"kind":"timeout","message":"t"})")->kind == effect_failure_kind::timeout);
  CHECK(parse_effect_failure(R"({"kind":"connect"})")->kind == effect_failure_kind::connect);
  CHECK(parse_effect_failure(R"({"kind":"weird"})")->kind == effect_failure_kind::network);
}

TEST_CASE("envelope: effects serialise to the documented shape", "[envelope]") {
  outbound_request r{"POST", "http://x/y", {{"content-type", "application/json"}}, "{}", 1500};
  CHECK(effect_step_bytes(3, r) ==
        "{\"headers\":[[\"content-type\",\"application/json\"]],\"id\":3,\"method\":\"POST\",\"timeout_ms\":1500,"
        "\"url\":\"http://x/y\"}\n{}");
  // The body follows the JSON line raw: newlines, quotes, control bytes, even invalid UTF-8,
  // and a URL or header with a newline in it is escaped inside the JSON, so the first raw
  // newline is always the split.
  r.url = "http://x/y?q=a\nb";
  r.body = "line\n\"quoted\" caf\xC3\xA9 \x01\xFF\n";
  std::string bytes = effect_step_bytes(5, r);
  auto [head, body] = split_effect_step(bytes);
  CHECK(body == r.body);
  auto doc = nlohmann::json::parse(head);
  CHECK(doc["id"] == 5);
  CHECK(doc["url"] == r.url);
  CHECK_FALSE(doc.contains("body"));
  r.body.clear();
  CHECK(split_effect_step(effect_step_bytes(4, r)).body.empty());
  CHECK(effect_step_bytes(4, r).back() == '\n');
  CHECK(effect_step_bytes(4, r).find("\"stream\"") == std::string::npos);
  r.stream = true;
  CHECK(effect_step_bytes(5, r).find("\"stream\":true") != std::string::npos);
  // Bytes without a newline (not what the core writes) read as a head without a body.
  CHECK(split_effect_step(R"({"id":1})").head == R"({"id":1})");
}
