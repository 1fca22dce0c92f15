// The open chat's poll (POST /a/{agent}/updates) and the sweep's share of handoffs, driven by the
// scripted fake host (issue 18).
#include <catch2/catch_test_macros.hpp>

#include "handoff_support.h"

using namespace handoff_test;

// ---- the open chat's poll -----------------------------------------------------------------------

namespace {

json updates_head() {
  return fake_host::head("POST", "/a/sales/updates",
                         json{{"content-type", "application/json"}, {"accept", "application/json"}});
}

}  // namespace

TEST_CASE("updates: the team's replies since `after`, named, and the handoff while it is open", "[handoff]") {
  fake_host host(chat_flow, handoff_config(), handoff_env());
  auto log = host.start(updates_head(), R"({"session_key":"visitor-0001","after":"2025-11-22T08:26:40.123+00:00"})");
  REQUIRE(log.effects.size() == 1);
  CHECK(log.effects[0]["url"] == rpc("salient_session_updates"));
  CHECK(args(log.effects[0]) == json{{"p_tenant", "acme"},
                                     {"p_agent", "sales"},
                                     {"p_session_key", "visitor-0001"},
                                     {"p_after", "2025-11-22T08:26:40.123+00:00"},
                                     {"p_mark_seen", true},
                                     {"p_now_ms", test_now_ms}});
  json h = handoff_h();
  h.erase("id");  // the updates' handoff has no id
  h["last_team_reply_at"] = "2025-11-22T08:30:00.000+00:00";
  json messages = json::array(
      {{{"id", "m-5"}, {"role", "team"}, {"content", "We do!"}, {"created_at", "2025-11-22T08:30:00.000+00:00"},
        {"metadata", {{"name", "Ana Souza"}, {"mail_message_id", "<r1@team.example>"}, {"token", mg_token}}}},
       {{"id", "m-6"}, {"role", "user"}, {"content", "Great"}, {"created_at", "2025-11-22T08:31:00.000+00:00"},
        {"metadata", json::object()}}});
  host.reply(log, log.effects[0]["id"], 200, json{{"handoff", h}, {"messages", messages}, {"unread", 1}}.dump());
  REQUIRE(log.done);
  CHECK(log.status == 200);
  json body = json::parse(log.body);
  CHECK(body["handoff"] ==
        json{{"active", true}, {"team", "Ana Souza and Bo Chen"}, {"response_time", "within two hours"}, {"replied", true}});
  CHECK(body["unread"] == 1);
  REQUIRE(body["messages"].size() == 2);
  CHECK(body["messages"][0] == json{{"id", "m-5"}, {"role", "team"}, {"content", "We do!"},
                                    {"created_at", "2025-11-22T08:30:00.000+00:00"}, {"mode", nullptr},
                                    {"name", "Ana Souza"}});
  CHECK_FALSE(body["messages"][1].contains("name"));
  CHECK(log.body.find("r1@team.example") == std::string::npos);
  CHECK(log.body.find(mg_token) == std::string::npos);
}

TEST_CASE("updates: the badge's poll does not mark replies seen; a closed handoff is none", "[handoff]") {
  fake_host host(chat_flow, handoff_config(), handoff_env());
  auto log = host.start(updates_head(), R"({"session_key":"visitor-0001","seen":"0"})");
  REQUIRE(log.effects.size() == 1);
  json a = args(log.effects[0]);
  CHECK(a["p_mark_seen"] == false);
  CHECK(a["p_after"].is_null());
  json h = handoff_h();
  h["status"] = "closed";
  host.reply(log, log.effects[0]["id"], 200, json{{"handoff", h}, {"messages", json::array()}, {"unread", 0}}.dump());
  CHECK(log.status == 200);
  CHECK(json::parse(log.body)["handoff"].is_null());

  auto none = host.start(updates_head(), R"({"session_key":"visitor-0001","seen":"1"})");
  CHECK(args(none.effects[0])["p_mark_seen"] == true);
  host.reply(none, none.effects[0]["id"], 200, R"({"handoff":null,"messages":[],"unread":0})");
  CHECK(json::parse(none.body) == json{{"handoff", nullptr}, {"messages", json::array()}, {"unread", 0}});
  // An open handoff with no reply yet.
  auto waiting = host.start(updates_head(), R"({"session_key":"visitor-0001"})");
  host.reply(waiting, waiting.effects[0]["id"], 200, json{{"handoff", handoff_h()}, {"messages", json::array()}}.dump());
  CHECK(json::parse(waiting.body)["handoff"]["replied"] == false);

  auto down = host.start(updates_head(), R"({"session_key":"visitor-0001"})");
  host.reply(down, down.effects[0]["id"], 503, "{}");
  CHECK(down.status == 503);
}

TEST_CASE("updates: `after` must be a time; bad requests never reach the store", "[handoff]") {
  fake_host host(chat_flow, handoff_config(), handoff_env());
  for (std::string body : {std::string(R"({"session_key":"visitor-0001","after":"yesterday"})"),
                           std::string(R"({"session_key":"visitor-0001","after":"2025-11-22'; drop table messages;--"})"),
                           R"({"session_key":"visitor-0001","after":")" + std::string(41, '1') + "\"}",
                           std::string(R"({"session_key":"visitor-0001","after":5})"),
                           std::string(R"({"session_key":"bad"})")}) {
    INFO(body);
    auto log = host.start(updates_head(), body);
    CHECK(log.status == 400);
    CHECK(log.effects.empty());
  }
  // The page's form post: the time's '+' percent-encoded.
  auto form = host.start(fake_host::head("POST", "/a/sales/updates",
                                         json{{"content-type", "application/x-www-form-urlencoded"}}),
                         "session_key=visitor-0001&after=2025-11-22T08%3A26%3A40.1%2B00%3A00");
  REQUIRE(form.effects.size() == 1);
  CHECK(args(form.effects[0])["p_after"] == "2025-11-22T08:26:40.1+00:00");
  CHECK(host.start(fake_host::head("GET", "/a/sales/updates")).status == 405);
}

// ---- the sweep ----------------------------------------------------------------------------------

namespace {

exchange_log start_sweep(fake_host& host, json due) {
  json head = fake_host::head("POST", "/internal/sweep");
  head["scheduled"] = true;
  auto log = host.start(head, R"({"trigger":"test","limit":8})");
  REQUIRE(log.effects.size() == 1);
  REQUIRE(log.effects[0]["url"] == rpc("salient_handoff_due"));
  json a = args(log.effects[0]);
  CHECK(a["p_tenant"] == "acme");
  CHECK(a["p_limit"] == 2);  // a quarter of the run
  CHECK(a["p_notify_minutes"] == 10);
  host.reply(log, log.effects[0]["id"], 200, due.dump());
  return log;
}
/// The summaries' claim after the handoffs: nothing idle.
void finish_sweep(fake_host& host, exchange_log& log) {
  REQUIRE(log.last_effect()["url"] == rpc("salient_summary_claim"));
  host.reply(log, log.last_effect()["id"], 200, R"({"status":"claimed","claims":[]})");
  REQUIRE(log.done);
  CHECK(log.status == 200);
}

json forward_lines() {
  return {{"handoff", handoff_h()},
          {"through", "2025-11-22T08:25:00.000+00:00"},
          {"subject", "Re: A visitor asked for a person"},
          {"messages", json::array({{{"id", "u-1"}, {"content", "Also, do you water them?"},
                                     {"created_at", "2025-11-22T08:24:00.000+00:00"}},
                                    {{"id", "u-2"}, {"content", "Weekly would be ideal."},
                                     {"created_at", "2025-11-22T08:25:00.000+00:00"}}})}};
}

}  // namespace

TEST_CASE("sweep: the visitor's lines go to the team in the email's thread, then are marked", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  auto log = start_sweep(host, {{"team_emails", json::array()}, {"forwards", json::array({forward_lines()})},
                                {"notifies", json::array()}, {"more", false}});
  auto sent = answer_send(host, log);
  CHECK(sent.queued["p_kind"] == "handoff_forward");
  CHECK(sent.queued["p_handoff_id"] == "h-1");
  CHECK(sent.fields["to"] == "ana@team.example, bo@team.example");
  CHECK(sent.fields["h:In-Reply-To"] == "<t1@mg.example.com>");
  CHECK(sent.fields["h:References"] == "<t1@mg.example.com>");
  CHECK(sent.fields["h:Reply-To"] == "reply+" + std::string(reply_id) + "@mg.example.com");
  CHECK(sent.fields["subject"] == "Re: A visitor asked for a person");
  CHECK(sent.fields["text"].find("Also, do you water them?") != std::string::npos);
  CHECK(sent.fields["text"].find("Weekly would be ideal.") != std::string::npos);
  const json mark = log.last_effect();
  REQUIRE(mark["url"] == rpc("salient_handoff_forwarded"));
  CHECK(args(mark) == json{{"p_tenant", "acme"}, {"p_handoff", "h-1"}, {"p_through", "2025-11-22T08:25:00.000+00:00"}});
  host.reply(log, mark["id"], 200, "null");
  finish_sweep(host, log);
  CHECK(json::parse(log.body)["handoffs"] ==
        json{{"team_emails", 0}, {"forwards", 1}, {"notifies", 0}, {"failed", 0}});
  for (const json& line : log.logs) CHECK(line.dump().find("water them") == std::string::npos);

  // The store gives the team email's own subject: the forward answers it, for clients that
  // thread on subjects.
  json lines = forward_lines();
  lines["subject"] = "Brightleaf Gardens: a visitor asked for a person";
  auto next = start_sweep(host, {{"forwards", json::array({lines})}});
  CHECK(answer_send(host, next).fields["subject"] == "Re: Brightleaf Gardens: a visitor asked for a person");
}

TEST_CASE("sweep: a forward Mailgun refused is not marked, so the next run sends it", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  auto log = start_sweep(host, {{"forwards", json::array({forward_lines()})}});
  answer_send(host, log, 503);
  for (const json& e : log.effects) CHECK(e["url"] != rpc("salient_handoff_forwarded"));
  finish_sweep(host, log);
  CHECK(json::parse(log.body)["handoffs"] ==
        json{{"team_emails", 0}, {"forwards", 0}, {"notifies", 0}, {"failed", 1}});
}

TEST_CASE("sweep: an unseen reply goes to the visitor's verified address, then is marked", "[handoff]") {
  json env = handoff_env();
  env["SALIENT_PUBLIC_URL"] = "https://shop.example/";
  fake_host host(summary_flow, handoff_config(), env);
  json notify = {{"handoff", handoff_h()},
                 {"email", "visitor@example.com"},
                 {"through", "2025-11-22T08:30:00.000+00:00"},
                 {"messages", json::array({{{"id", "m-5"}, {"content", "We do rooftop gardens, yes."},
                                            {"created_at", "2025-11-22T08:30:00.000+00:00"},
                                            {"name", "Ana Souza"}}})}};
  auto log = start_sweep(host, {{"notifies", json::array({notify})}});
  auto sent = answer_send(host, log);
  CHECK(sent.queued["p_kind"] == "handoff_notify");
  CHECK(sent.queued["p_handoff_id"] == "h-1");
  CHECK(sent.fields["to"] == "visitor@example.com");
  CHECK_FALSE(sent.fields.contains("h:Reply-To"));  // the visitor answers in the chat, not to the team
  CHECK(sent.fields["text"].find("We do rooftop gardens, yes.") != std::string::npos);
  CHECK(sent.fields["text"].find("Ana Souza") != std::string::npos);
  CHECK(sent.fields["text"].find("https://shop.example/a/sales/") != std::string::npos);
  const json mark = log.last_effect();
  REQUIRE(mark["url"] == rpc("salient_handoff_notified"));
  CHECK(args(mark)["p_through"] == "2025-11-22T08:30:00.000+00:00");
  host.reply(log, mark["id"], 200, "null");
  finish_sweep(host, log);
  CHECK(json::parse(log.body)["handoffs"]["notifies"] == 1);
  for (const json& line : log.logs) CHECK(line.dump().find("visitor@example.com") == std::string::npos);
}

TEST_CASE("sweep: a team email still to send goes out as the button's would", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  auto log = start_sweep(host, {{"team_emails", json::array({{{"handoff", handoff_h()}, {"claim", conversation()}}})}});
  auto sent = answer_send(host, log);
  CHECK(sent.queued["p_kind"] == "handoff");
  CHECK(sent.fields["h:Reply-To"] == "reply+" + std::string(reply_id) + "@mg.example.com");
  finish_sweep(host, log);
  CHECK(json::parse(log.body)["handoffs"]["team_emails"] == 1);

  // The store failing the due call: the summaries still get their run.
  json head = fake_host::head("POST", "/internal/sweep");
  head["scheduled"] = true;
  auto failed = host.start(head, R"({"trigger":"test"})");
  host.reply(failed, failed.effects[0]["id"], 503, "{}");
  finish_sweep(host, failed);
}
