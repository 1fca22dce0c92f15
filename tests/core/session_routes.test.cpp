// POST /a/{agent}/history and /sessions, driven by the scripted fake host: the store calls they
// make, what they render, and what they refuse before touching the store.
#include <catch2/catch_test_macros.hpp>

#include "fake_host.h"
#include "salient/flows/flows.h"

using namespace salient;
using namespace salient::testing;

namespace {

json htmx_form() { return {{"content-type", "application/x-www-form-urlencoded"}, {"hx-request", "true"}}; }
json json_post() { return {{"content-type", "application/json"}, {"accept", "application/json"}}; }

const char* two_turns = R"({"session_key":"visitor-0001","session_id":"s1","messages":[
  {"id":"m1","role":"user","content":"<i>hi</i>","created_at":"2026-11-22T10:00:00Z","metadata":{},"turn_id":null},
  {"id":"m2","role":"assistant","content":"Hello!","created_at":"2026-11-22T10:00:01Z","metadata":{"mode":"offline"},"turn_id":"m1"},
  {"id":"m3","role":"user","content":"prices?","created_at":"2026-11-22T10:01:00Z","metadata":{},"turn_id":null}]})";

}  // namespace

TEST_CASE("history: asks the store for the session of this tenant and agent, renders it as bubbles", "[sessions]") {
  fake_host host(chat_flow, json{{"app", {{"tenant", "acme"}}}});
  auto log = host.start(fake_host::head("POST", "/a/sales/history", htmx_form()), "session_key=visitor-0001");
  REQUIRE(log.order == std::vector<std::string>{"effect"});
  const json& e = log.last_effect();
  CHECK(e["url"] == "http://store.test/rest/v1/rpc/salient_session_history");
  CHECK(json::parse(e["body"].get<std::string>()) ==
        json{{"p_tenant", "acme"}, {"p_agent", "sales"}, {"p_session_key", "visitor-0001"}, {"p_limit", 50}});
  host.reply(log, e["id"], 200, two_turns);
  CHECK(log.status == 200);
  CHECK(log.header("content-type") == "text/html; charset=utf-8");
  CHECK(log.body.find(R"(<div class="msg user" data-message-id="m1" data-created-at="2026-11-22T10:00:00Z"><div class="text">&lt;i&gt;hi&lt;/i&gt;</div></div>)") !=
        std::string::npos);
  CHECK(log.body.find("Offline answer") != std::string::npos);
  CHECK(log.body.find("No answer was saved") > log.body.find("prices?"));
  REQUIRE(log.logs.size() == 1);
  CHECK(log.logs[0]["event"] == "history.shown");
  CHECK(log.logs[0].dump().find("prices?") == std::string::npos);  // no message text in logs
}

TEST_CASE("history: JSON clients get the messages; an unknown session is an empty conversation", "[sessions]") {
  fake_host host(chat_flow);
  auto log = host.start(fake_host::head("POST", "/a/sales/history", json_post()), R"({"session_key":"visitor-0001"})");
  host.reply(log, 1, 200, two_turns);
  json doc = json::parse(log.body);
  CHECK(doc["session_key"] == "visitor-0001");
  REQUIRE(doc["messages"].size() == 3);
  CHECK(doc["messages"][1] == json{{"id", "m2"}, {"role", "assistant"}, {"content", "Hello!"},
                                   {"created_at", "2026-11-22T10:00:01Z"}, {"mode", "offline"}});
  CHECK(doc["messages"][0]["mode"].is_null());
  auto unknown = host.start(fake_host::head("POST", "/a/sales/history", htmx_form()), "session_key=never-seen-1");
  host.reply(unknown, unknown.last_effect()["id"], 200, R"({"session_key":"never-seen-1","session_id":null,"messages":[]})");
  CHECK(unknown.status == 200);
  CHECK(unknown.body.empty());
}

TEST_CASE("history and sessions refuse bad requests before touching the store", "[sessions]") {
  fake_host host(chat_flow, json{{"agents", {{"sales", {{"enabled", true}}}, {"support", {{"enabled", false}}}}}});
  struct bad {
    const char* method;
    const char* path;
    json headers;
    const char* body;
    int status;
  };
  for (const auto& b : {bad{"POST", "/a/sales/history", htmx_form(), "", 400},
                        bad{"POST", "/a/sales/history", htmx_form(), "session_key=short", 400},
                        bad{"POST", "/a/sales/history", htmx_form(), "session_key=has%20space%20in%20it", 400},
                        bad{"POST", "/a/sales/history", json_post(), R"({"session_key":42})", 400},
                        bad{"POST", "/a/sales/history", {{"content-type", "text/plain"}}, "session_key=visitor-0001", 415},
                        bad{"GET", "/a/sales/history", json::object(), "", 405},
                        bad{"POST", "/a/support/history", htmx_form(), "session_key=visitor-0001", 404},
                        bad{"POST", "/a/sales/sessions", htmx_form(), "session_keys=visitor-0001,bad key!", 400},
                        bad{"GET", "/a/sales/sessions?session_keys=visitor-0001", json::object(), "", 405}}) {
    INFO(b.method << " " << b.path << " " << b.body);
    auto log = host.start(fake_host::head(b.method, b.path, b.headers), b.body);
    CHECK(log.status == b.status);
    CHECK(log.effects.empty());
  }
  json cross = htmx_form();
  cross["origin"] = "https://evil.example";
  cross["host"] = "shop.example";
  auto refused = host.start(fake_host::head("POST", "/a/sales/history", cross), "session_key=visitor-0001");
  CHECK(refused.status == 403);
  CHECK(refused.effects.empty());
  std::string many = "session_keys=";
  for (int i = 0; i < 51; ++i) many += "visitor-" + std::to_string(1000 + i) + ",";
  auto too_many = host.start(fake_host::head("POST", "/a/sales/sessions", htmx_form()), many);
  CHECK(too_many.status == 400);
  CHECK(too_many.body.find("at most 50") != std::string::npos);
}

TEST_CASE("sessions: this browser's keys, deduplicated, become a list of buttons", "[sessions]") {
  fake_host host(chat_flow);
  auto log = host.start(fake_host::head("POST", "/a/sales/sessions", htmx_form()),
                        "session_keys=visitor-0001,,visitor-0002,visitor-0001");
  const json& e = log.last_effect();
  CHECK(e["url"] == "http://store.test/rest/v1/rpc/salient_list_sessions");
  CHECK(json::parse(e["body"].get<std::string>())["p_session_keys"] == json::array({"visitor-0001", "visitor-0002"}));
  host.reply(log, e["id"], 200, R"({"sessions":[{"session_key":"visitor-0002","title":"Roses & tulips","created_at":"2026-11-22T09:00:00Z","last_activity_at":"2026-11-22T10:00:00Z","message_count":2}]})");
  CHECK(log.status == 200);
  CHECK(log.body.find(R"(<ul class="session-list">)") != std::string::npos);
  CHECK(log.body.find(R"(data-session-key="visitor-0002")") != std::string::npos);
  CHECK(log.body.find("Roses &amp; tulips") != std::string::npos);
  CHECK(log.body.find("visitor-0001") == std::string::npos);  // unknown to the store: not listed
}

TEST_CASE("sessions: no keys needs no store call; JSON arrays work like the form's list", "[sessions]") {
  fake_host host(chat_flow);
  auto none = host.start(fake_host::head("POST", "/a/sales/sessions", htmx_form()), "session_keys=");
  CHECK(none.effects.empty());
  CHECK(none.status == 200);
  CHECK(none.body.find("No earlier chats") != std::string::npos);
  auto log = host.start(fake_host::head("POST", "/a/sales/sessions", json_post()),
                        R"({"session_keys":["visitor-0001","visitor-0002"]})");
  CHECK(json::parse(log.last_effect()["body"].get<std::string>())["p_session_keys"].size() == 2);
  host.reply(log, log.last_effect()["id"], 200, R"({"sessions":[]})");
  CHECK(json::parse(log.body) == json{{"sessions", json::array()}});
  auto bad = host.start(fake_host::head("POST", "/a/sales/sessions", json_post()), R"({"session_keys":["ok-key-001",7]})");
  CHECK(bad.status == 400);
}

TEST_CASE("history: a store failure is a 503 to retry, a missing function a configuration error", "[sessions]") {
  fake_host host(chat_flow);
  auto down = host.start(fake_host::head("POST", "/a/sales/history", htmx_form()), "session_key=visitor-0001");
  host.fail(down, 1, effect_failure_kind::connect);
  CHECK(down.status == 503);
  auto old = host.start(fake_host::head("POST", "/a/sales/history", htmx_form()), "session_key=visitor-0001");
  host.reply(old, old.last_effect()["id"], 404, R"({"code":"PGRST202","message":"Could not find the function"})");
  CHECK(old.status == 500);
  REQUIRE_FALSE(old.logs.empty());
  CHECK(old.logs[0]["reason"].get<std::string>().find("run db/migrations") != std::string::npos);
}

// ---- POST /a/{agent}/identify (the widget's Salient.identify) --------------------------------

TEST_CASE("identify: stores the email and name on the session's profile; logs which, never what", "[sessions][identify]") {
  fake_host host(chat_flow, json{{"app", {{"tenant", "acme"}}}});
  auto log = host.start(fake_host::head("POST", "/a/sales/identify", json_post()),
                        R"({"session_key":"visitor-0001","email":"ana@example.com","name":"  Ana Lima "})");
  REQUIRE(log.effects.size() == 1);
  const json& e = log.last_effect();
  CHECK(e["url"] == "http://store.test/rest/v1/rpc/salient_identify");
  CHECK(json::parse(e["body"].get<std::string>()) == json{{"p_tenant", "acme"}, {"p_agent", "sales"},
                                                         {"p_session_key", "visitor-0001"},
                                                         {"p_email", "ana@example.com"}, {"p_name", "Ana Lima"}});
  host.reply(log, e["id"], 200, R"({"status":"identified"})");
  CHECK(log.status == 200);
  CHECK(json::parse(log.body)["status"] == "identified");
  REQUIRE(log.logs.size() == 1);
  CHECK(log.logs[0]["event"] == "session.identified");
  CHECK(log.logs[0].dump().find("ana@") == std::string::npos);
  CHECK(log.logs[0].dump().find("Lima") == std::string::npos);

  // Only a name: the email is sent as null (the store keeps what it had).
  auto name_only = host.start(fake_host::head("POST", "/a/sales/identify", json_post()), R"({"session_key":"visitor-0001","name":"Ana"})");
  CHECK(json::parse(name_only.last_effect()["body"].get<std::string>())["p_email"].is_null());
}

TEST_CASE("identify: a session with no conversation yet stores nothing and says so; bad fields are 400s before the store", "[sessions][identify]") {
  fake_host host(chat_flow);
  auto early = host.start(fake_host::head("POST", "/a/sales/identify", json_post()), R"({"session_key":"visitor-0001","name":"Ana"})");
  host.reply(early, early.last_effect()["id"], 200, R"({"status":"no_session"})");
  CHECK(early.status == 200);
  CHECK(json::parse(early.body)["status"] == "no_conversation");

  for (const char* body : {R"({"session_key":"visitor-0001"})", R"({"session_key":"bad key!","name":"Ana"})",
                           R"({"session_key":"visitor-0001","email":"not-an-address"})",
                           R"({"session_key":"visitor-0001","email":"a@b@c.com"})",
                           R"({"session_key":"visitor-0001","email":"ana @example.com"})",
                           R"({"session_key":"visitor-0001","email":"ana@localhost"})",
                           R"({"session_key":"visitor-0001","name":"Ana\u0000"})",
                           R"({"session_key":"visitor-0001","name":"   "})"}) {
    INFO(body);
    auto log = host.start(fake_host::head("POST", "/a/sales/identify", json_post()), body);
    CHECK(log.effects.empty());
    CHECK(log.status == 400);
  }
  auto get = host.start(fake_host::head("GET", "/a/sales/identify"));
  CHECK(get.status == 405);
}
