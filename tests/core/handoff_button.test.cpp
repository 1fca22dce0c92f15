// "Talk to a person" (POST /a/{agent}/handoff) driven by the scripted fake host (issue 18): the
// store calls and the Mailgun request in order, and what the visitor is answered. The rules the
// SQL functions keep are tests/db's; the stream's part is handoff_stream.test.cpp.
#include <catch2/catch_test_macros.hpp>

#include "handoff_support.h"

using namespace handoff_test;

namespace {

json button_head(std::string agent = "sales") {
  return fake_host::head("POST", "/a/" + agent + "/handoff",
                         json{{"content-type", "application/json"}, {"accept", "application/json"}});
}
constexpr const char* button_body = R"({"session_key":"visitor-0001"})";

}  // namespace

TEST_CASE("handoff button: claimed, the team gets one email with the conversation's reply address", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  auto log = host.start(button_head(), button_body);
  REQUIRE(log.effects.size() == 1);
  CHECK(log.effects[0]["url"] == rpc("salient_handoff_start"));
  json start = args(log.effects[0]);
  CHECK(start["p_tenant"] == "acme");
  CHECK(start["p_agent"] == "sales");
  CHECK(start["p_session_key"] == "visitor-0001");
  CHECK(start["p_trigger"] == "button");
  CHECK(start["p_now_ms"] == test_now_ms);
  CHECK(start["p_reply_days"] == 30);
  CHECK(start["p_quiet_minutes"] == 15);
  CHECK(start["p_per_session_per_day"] == 3);
  CHECK(is_reply_id(start["p_reply_id"]));
  // The store keeps the id it was given for a new handoff; the email uses the stored one.
  std::string id = start["p_reply_id"];
  host.reply(log, log.effects[0]["id"], 200,
             json{{"status", "claimed"}, {"handoff", handoff_h(id)}, {"claim", conversation()}}.dump());

  auto sent = answer_send(host, log);
  CHECK(sent.queued["p_kind"] == "handoff");
  CHECK(sent.queued["p_handoff_id"] == "h-1");
  CHECK(sent.queued["p_session_id"] == "s-1");
  CHECK(sent.queued["p_summary_id"].is_null());
  CHECK(sent.queued["p_to"] == "ana@team.example, bo@team.example");
  CHECK(sent.fields["to"] == "ana@team.example, bo@team.example");
  CHECK(sent.fields["h:Reply-To"] == "reply+" + id + "@mg.example.com");
  CHECK(sent.fields["o:tag"] == "handoff");
  CHECK_FALSE(sent.fields.contains("h:In-Reply-To"));  // the thread starts here
  CHECK(sent.fields["text"].find("Do you design rooftop gardens?") != std::string::npos);
  CHECK(sent.fields["text"].find("within two hours") != std::string::npos);
  CHECK(sent.outcome["p_status"] == "sent");

  REQUIRE(log.done);
  CHECK(log.status == 200);
  json body = json::parse(log.body);
  CHECK(body["status"] == "started");
  CHECK(body["handoff"]["team"] == "Ana Souza and Bo Chen");
  CHECK(body["handoff"]["response_time"] == "within two hours");
  CHECK(body["message"] ==
        "I've asked the Brightleaf Gardens team to join this chat. They'll reply here, usually within two hours. "
        "You can keep writing: your messages go to them too.");
  for (const json& line : log.logs) CHECK(line.dump().find("rooftop") == std::string::npos);
}

TEST_CASE("handoff button: a failed send keeps the handoff and answers 202 queued", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  auto log = host.start(button_head(), button_body);
  host.reply(log, log.effects[0]["id"], 200,
             json{{"status", "claimed"}, {"handoff", handoff_h()}, {"claim", conversation()}}.dump());
  auto sent = answer_send(host, log, 503);
  CHECK(sent.outcome["p_status"] == "failed");  // for the sweep's retry (salient_email_result)
  REQUIRE(log.done);
  CHECK(log.status == 202);
  json body = json::parse(log.body);
  CHECK(body["status"] == "queued");
  CHECK(body["message"].get<std::string>().find("keep trying") != std::string::npos);
}

TEST_CASE("handoff button: the store's other answers send nothing", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  auto answer = [&](json started) {
    auto log = host.start(button_head(), button_body);
    host.reply(log, log.effects[0]["id"], 200, started.dump());
    REQUIRE(log.done);
    CHECK(log.effects.size() == 1);  // no email
    return log;
  };
  auto open = answer({{"status", "open"}, {"handoff", handoff_h()}});
  CHECK(open.status == 200);
  CHECK(json::parse(open.body)["status"] == "open");
  CHECK(json::parse(open.body)["message"] == "The team already has this conversation and will reply here.");
  auto none = answer({{"status", "no_conversation"}});
  CHECK(none.status == 400);
  CHECK(json::parse(none.body)["error"]["code"] == "no_conversation");
  auto limited = answer({{"status", "limited"}, {"retry_after", 5400}});
  CHECK(limited.status == 429);
  CHECK(limited.header("retry-after") == "5400");
  CHECK(json::parse(limited.body)["error"]["code"] == "too_many_handoffs");

  // The store failing is not a handoff started.
  auto log = host.start(button_head(), button_body);
  host.reply(log, log.effects[0]["id"], 500, R"({"code":"XX000","message":"boom"})");
  CHECK(log.status == 503);
  CHECK(log.effects.size() == 1);
}

TEST_CASE("handoff button: htmx gets the note the page swaps in, escaped", "[handoff]") {
  json cfg = handoff_config();
  cfg["app"]["name"] = "Brightleaf <Gardens>";
  fake_host host(summary_flow, cfg, handoff_env());
  json head = fake_host::head("POST", "/a/sales/handoff",
                              json{{"content-type", "application/x-www-form-urlencoded"}, {"hx-request", "true"}});
  auto log = host.start(head, "session_key=visitor-0001");
  host.reply(log, log.effects[0]["id"], 200,
             json{{"status", "claimed"}, {"handoff", handoff_h()}, {"claim", conversation()}}.dump());
  answer_send(host, log);
  CHECK(log.status == 200);
  CHECK(log.header("content-type") == "text/html; charset=utf-8");
  CHECK(log.body.starts_with(R"(<p id="handoff-status" class="handoff-status" role="status">)"
                             "I&#39;ve asked the Brightleaf &lt;Gardens&gt; team"));
  auto limited = host.start(head, "session_key=visitor-0001");
  host.reply(limited, limited.effects[0]["id"], 200, R"({"status":"limited","retry_after":60})");
  CHECK(limited.status == 429);
  CHECK(limited.header("retry-after") == "60");
  CHECK(limited.body.find("data-error role=\"alert\"") != std::string::npos);
}

TEST_CASE("handoff button: a bad key or an agent without a team is refused before the store", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  for (const char* body : {R"({"session_key":"short"})", R"({"session_key":"has space 0001"})", "{}"}) {
    INFO(body);
    auto log = host.start(button_head(), body);
    CHECK(log.status == 400);
    CHECK(log.effects.empty());
  }
  fake_host no_team(summary_flow, handoff_config(false), handoff_env());
  auto off = no_team.start(button_head(), button_body);
  CHECK(off.status == 404);
  CHECK(json::parse(off.body)["error"]["code"] == "handoff_off");
  CHECK(off.effects.empty());
  // The support agent has its own team even where none is shared.
  auto support = no_team.start(button_head("support"), button_body);
  REQUIRE(support.effects.size() == 1);
  CHECK(args(support.effects[0])["p_agent"] == "support");
}
