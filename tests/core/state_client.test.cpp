// The state store's RPC results, parsed into typed values or typed errors.
#include <catch2/catch_test_macros.hpp>

#include "salient/runtime/instance.h"
#include "salient/upstream/store/state_client.h"

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

TEST_CASE("state_client: PostgREST error bodies are parsed into typed errors", "[state_client]") {
  auto e = parse_postgrest_error(answer(409, R"j({"code":"23505","message":"duplicate key","details":"Key (id)=(x)","hint":null})j"));
  REQUIRE(e);
  CHECK(e->status == 409);
  CHECK(e->code == "23505");
  CHECK(e->message == "duplicate key");
  CHECK(e->details == "Key (id)=(x)");
  CHECK(e->hint.empty());
  CHECK_FALSE(parse_postgrest_error(answer(200, "{}")));
  // A proxy's HTML error page: the status is all there is.
  auto proxy = parse_postgrest_error(answer(502, "<html>Bad gateway</html>"));
  REQUIRE(proxy);
  CHECK(proxy->status == 502);
  CHECK(proxy->code.empty());
  fetch_result timeout;
  timeout.failure = effect_failure{effect_failure_kind::timeout, "timed out"};
  CHECK(parse_postgrest_error(timeout)->status == 0);
}

TEST_CASE("state_client: each kind of store failure maps to what the visitor should hear", "[state_client]") {
  auto kind = [](int status, const char* code) { return to_error({status, code, "m", "", ""}, "salient_x").kind; };
  CHECK(kind(0, "") == errc::unavailable);
  CHECK(kind(500, "XX000") == errc::unavailable);
  CHECK(kind(503, "") == errc::unavailable);
  CHECK(kind(404, "PGRST202") == errc::misconfigured);  // the migrations were not run there
  CHECK(kind(404, "PT404") == errc::not_found);
  CHECK(kind(403, "PT403") == errc::forbidden);
  CHECK(kind(401, "PGRST301") == errc::misconfigured);  // a wrong SUPABASE_KEY
  CHECK(kind(409, "23505") == errc::conflict);
  CHECK(kind(400, "22P02") == errc::internal);
  CHECK(to_error({404, "PGRST202", "", "", ""}, "salient_x").message.find("salient_x") != std::string::npos);
  CHECK(parse_begin_turn(answer(409, R"({"code":"23505"})")).err().kind == errc::conflict);
  CHECK(parse_finish_turn(answer(404, R"({"code":"PT404","message":"turn x not found"})")).err().kind == errc::not_found);
}

TEST_CASE("state_client: PT404 from a function that takes an agent is a switched-off agent", "[state_client]") {
  // salient_require_agent_enabled (db/functions/validation.sql): the tenant's tenant_agents row for the agent says is_enabled = false.
  const std::string body =
      R"({"code":"PT404","message":"agent \"support\" is not enabled for tenant \"acme\"","details":null,"hint":"enable it"})";
  std::vector<error> refused = {parse_begin_turn(answer(404, body)).err(), parse_claim_turn(answer(404, body)).err(),
                                parse_session_history(answer(404, body)).err(),
                                parse_list_sessions(answer(404, body)).err()};
  for (const error& e : refused) {
    INFO(e.message);
    CHECK(e.kind == errc::not_found);
    CHECK(e.status() == 404);
    CHECK(e.message == "this assistant is not enabled here");
    CHECK(e.message.find("acme") == std::string::npos);  // the database's words stay out
  }
  // finish_turn's PT404 is an unknown turn; a 404 without PostgREST's code (a proxy) is not a
  // statement about the agent either.
  CHECK(parse_finish_turn(answer(404, body)).err().message == "this conversation was not found");
  CHECK(parse_begin_turn(answer(404, "<html>Not Found</html>")).err().message == "this conversation was not found");
  CHECK(to_error({404, "PGRST202", "", "", ""}, "salient_begin_turn").kind == errc::misconfigured);
}

TEST_CASE("state_client: a claimed turn carries its history, persona and profile", "[state_client]") {
  auto c = parse_claim_turn(answer(200, R"({"status":"claimed","message":"and delivery?","session_id":"s","agent":"sales",
    "history":[{"role":"user","content":"hi","created_at":"t1"},{"role":"assistant","content":"Hello!"},{"role":7}],
    "persona":{"code":"friendly","name":"Friendly","system_prompt":"Be kind."},
    "profile":{"customer_name":"Ada","email":"ada@example.com","phone":null,"products_of_interest":["roses",3],"services_of_interest":[]}})"));
  REQUIRE(c.ok());
  REQUIRE(c->history.size() == 2);  // the malformed entry is skipped
  CHECK(c->history[0].role == "user");
  CHECK(c->history[1].content == "Hello!");
  REQUIRE(c->persona);
  CHECK(c->persona->system_prompt == "Be kind.");
  REQUIRE(c->profile);
  CHECK(c->profile->customer_name == "Ada");
  CHECK(c->profile->phone.empty());
  CHECK(c->profile->products_of_interest == std::vector<std::string>{"roses"});
  auto bare = parse_claim_turn(answer(200, R"({"status":"claimed","message":"m","session_id":"s","persona":null,"profile":null})"));
  REQUIRE(bare.ok());
  CHECK(bare->history.empty());
  CHECK_FALSE(bare->persona);
  CHECK_FALSE(bare->profile);
}

TEST_CASE("state_client: finish_turn sends the llm_requests row only when there is one", "[state_client]") {
  state_store s{"http://db", "", 1000};
  auto plain = finish_turn_request(s, {"t", "turn", "msg", "text", R"({"mode":"offline"})", ""});
  CHECK(plain.body.find("p_llm_request") == std::string::npos);
  CHECK(plain.body.find(R"("p_metadata":{"mode":"offline"})") != std::string::npos);
  auto billed = finish_turn_request(s, {"t", "turn", "msg", "text", "{}", R"({"model":"m","cost":0.5})"});
  CHECK(billed.body.find(R"("p_llm_request":{"model":"m","cost":0.5})") != std::string::npos);  // spliced as built
  // Metadata that is not an object is stored as {} rather than sent as a type error.
  CHECK(finish_turn_request(s, {"t", "turn", "msg", "text", "[1]", ""}).body.find(R"("p_metadata":{})") != std::string::npos);
}

TEST_CASE("state_client: session history and session lists parse; shapes they lack are errors", "[state_client]") {
  auto h = parse_session_history(answer(200, R"({"session_key":"k","session_id":"s","messages":[
    {"id":"1","role":"user","content":"hi","created_at":"2026-11-22T10:00:00Z","metadata":{}},
    {"id":"2","role":"assistant","content":"Hello","created_at":"2026-11-22T10:00:01Z","metadata":{"mode":"offline"}}]})"));
  REQUIRE(h.ok());
  CHECK(h->session_id == "s");
  REQUIRE(h->messages.size() == 2);
  CHECK(h->messages[1].mode == "offline");
  CHECK(h->messages[0].mode.empty());
  auto unknown = parse_session_history(answer(200, R"({"session_key":"k","session_id":null,"messages":[]})"));
  REQUIRE(unknown.ok());
  CHECK(unknown->session_id.empty());
  CHECK(parse_session_history(answer(200, R"({"session_id":"s"})")).err().kind == errc::unavailable);
  CHECK(parse_session_history(answer(200, R"({"messages":[{"role":"user"}]})")).err().kind == errc::unavailable);

  auto l = parse_list_sessions(answer(200, R"({"sessions":[{"session_key":"k1","title":"hi","created_at":"a","last_activity_at":"b","message_count":3}]})"));
  REQUIRE(l.ok());
  REQUIRE(l->size() == 1);
  CHECK((*l)[0].message_count == 3);
  CHECK(parse_list_sessions(answer(200, R"({"sessions":[{"title":"no key"}]})")).err().kind == errc::unavailable);
  CHECK(parse_list_sessions(answer(200, "[]")).err().kind == errc::unavailable);
  auto req = list_sessions_request({"http://db", "", 1}, "t", "sales", {"k1", "k2"});
  CHECK(req.url == "http://db/rest/v1/rpc/salient_list_sessions");
  CHECK(req.body == R"({"p_agent":"sales","p_session_keys":["k1","k2"],"p_tenant":"t"})");
}
