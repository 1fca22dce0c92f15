// The state store's RPC results, parsed into typed values or typed errors.
#include <catch2/catch_test_macros.hpp>

#include "salient/instance.h"
#include "salient/state_client.h"

using namespace salient;

namespace {
fetch_result answer(int status, std::string body) {
  fetch_result r;
  r.head.status = status;
  r.body = std::move(body);
  return r;
}
}  // namespace

TEST_CASE("state_client: SUPABASE_URL is required, must be http(s), and loses trailing slashes", "[state_client]") {
  environment env;
  CHECK(state_store_from_env(env, 1).err().kind == errc::misconfigured);
  env.set("SUPABASE_URL", "ftp://x");
  CHECK(state_store_from_env(env, 1).err().kind == errc::misconfigured);
  env.set("SUPABASE_URL", "https://ref.supabase.co//");
  auto s = state_store_from_env(env, 1234);
  REQUIRE(s.ok());
  CHECK(s->base_url == "https://ref.supabase.co");
  CHECK(rpc_request(*s, "f", "{}").url == "https://ref.supabase.co/rest/v1/rpc/f");
  CHECK(rpc_request(*s, "f", "{}").timeout_ms == 1234);
}

TEST_CASE("state_client: begin_turn answers parse, duplicates included", "[state_client]") {
  auto ok = parse_begin_turn(answer(200, R"({"turn_id":"t","session_id":"s","duplicate":true})"));
  REQUIRE(ok.ok());
  CHECK(ok->turn_id == "t");
  CHECK(ok->duplicate);
  CHECK(parse_begin_turn(answer(200, R"({"turn_id":"t"})")).err().kind == errc::unavailable);
}

TEST_CASE("state_client: 5xx and unreachable are unavailable, 4xx is our bug", "[state_client]") {
  CHECK(parse_begin_turn(answer(503, "")).err().kind == errc::unavailable);
  CHECK(parse_begin_turn(answer(400, R"({"code":"22P02","message":"bad"})")).err().kind == errc::internal);
  fetch_result down;
  down.failure = effect_failure{effect_failure_kind::connect, "refused"};
  CHECK(parse_begin_turn(down).err().kind == errc::unavailable);
  // PostgREST's message never reaches the visitor.
  CHECK(parse_begin_turn(answer(400, R"({"message":"secret detail"})")).err().message.find("secret") == std::string::npos);
}

TEST_CASE("state_client: claim statuses map one to one; unknown ones are errors", "[state_client]") {
  CHECK(parse_claim_turn(answer(200, R"({"status":"claimed","message":"m","session_id":"s"})"))->message == "m");
  CHECK(parse_claim_turn(answer(200, R"({"status":"already_claimed"})"))->state == claimed_turn::status::already_claimed);
  CHECK(parse_claim_turn(answer(200, R"({"status":"not_found"})"))->state == claimed_turn::status::not_found);
  CHECK_FALSE(parse_claim_turn(answer(200, R"({"status":"maybe"})")).ok());
  CHECK(parse_finish_turn(answer(200, "{}")).ok());
  CHECK_FALSE(parse_finish_turn(answer(500, "{}")).ok());
}
