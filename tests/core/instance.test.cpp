#include <catch2/catch_test_macros.hpp>

#include "fake_host.h"
#include "salient/flows/flows.h"

using namespace salient;
using namespace salient::testing;

TEST_CASE("instance: start before configure returns handle 0", "[instance]") {
  instance inst(chat_flow);
  CHECK(inst.start(R"({"method":"GET","url":"/","now_ms":1})", "") == 0);
}

TEST_CASE("instance: configure rejects invalid config with its path", "[instance]") {
  instance inst(chat_flow);
  auto r = inst.configure(R"({"config":{"llm":{"temperature":9}},"env":{}})");
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().kind == errc::misconfigured);
  CHECK(r.err().path == "/llm/temperature");
  CHECK_FALSE(inst.configure("nope").ok());
  CHECK_FALSE(inst.configured());
}

TEST_CASE("instance: a malformed request head still gets a JSON 400", "[instance]") {
  instance inst(chat_flow);
  REQUIRE(inst.configure(R"({"config":{},"env":{}})").ok());
  std::uint32_t h = inst.start("{not json", "");
  REQUIRE(h != 0);
  exchange* ex = inst.find(h);
  REQUIRE(ex);
  step s = ex->next();
  CHECK(s.kind == step_kind::respond);
  CHECK(std::string(s.data).find(R"("status":400)") != std::string::npos);
  CHECK(ex->next().kind == step_kind::write);
  CHECK(ex->next().kind == step_kind::done);
  inst.release(h);
  CHECK(inst.find(h) == nullptr);
}

TEST_CASE("instance: handles are independent", "[instance]") {
  fake_host host(chat_flow);
  auto a = host.start(fake_host::head("POST", "/a/sales/chat", {{"content-type", "application/x-www-form-urlencoded"}}),
                      "message=one");
  auto b = host.start(fake_host::head("POST", "/a/sales/chat", {{"content-type", "application/x-www-form-urlencoded"}}),
                      "message=two");
  CHECK(a.handle != b.handle);
  host.reply(b, 1, 200, R"({"turn_id":"019a9b4e-0000-7000-8000-000000000002","session_id":"s","duplicate":false})");
  CHECK(b.body.find("two") != std::string::npos);
  CHECK_FALSE(a.done);
  host.reply(a, 1, 200, R"({"turn_id":"019a9b4e-0000-7000-8000-000000000001","session_id":"s","duplicate":false})");
  CHECK(a.body.find("one") != std::string::npos);
}

TEST_CASE("instance: the otp and summary modules answer their own routes only", "[instance]") {
  fake_host otp(otp_flow);
  CHECK(otp.start(fake_host::head("POST", "/otp/other")).status == 404);
  fake_host summary(summary_flow);
  CHECK(summary.start(fake_host::head("POST", "/a/sales/summary")).status == 415);  // a body is required
  CHECK(summary.start(fake_host::head("GET", "/a/sales/summary")).status == 405);
  CHECK(summary.start(fake_host::head("POST", "/a/nobody/summary")).status == 404);
  CHECK(summary.start(fake_host::head("POST", "/internal/sweep")).status == 404);  // not scheduled: no sweep
}
