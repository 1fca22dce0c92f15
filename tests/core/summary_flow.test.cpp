// The summary function driven by the scripted fake host: the button's and the sweep's store
// calls, the Mailgun request and the answers, in order; the transcript link. Whether a summary
// goes out at most once is the SQL functions' (tests/db/summaries.test.mjs); the lead card's
// fields are lead_rules' and lead_model's (their tests).
#include <catch2/catch_test_macros.hpp>

#include "fake_host.h"
#include "salient/flows/flows.h"
#include "salient/http/stream_token.h"

using namespace salient;
using namespace salient::testing;

namespace {

json summary_env() {
  json env = fake_host::default_env();
  env["MAILGUN_API_KEY"] = "key-test";
  env["MAILGUN_DOMAIN"] = "mg.example.com";
  env["MAILGUN_BASE_URL"] = "http://mail.test";
  env["SALIENT_PUBLIC_URL"] = "https://shop.example/";
  return env;
}
json summary_config(std::string recipient = "sales@brightleaf.example") {
  return {{"app", {{"name", "Brightleaf Gardens"}, {"tenant", "acme"}, {"country", "US"}}},
          {"email", {{"sales_recipient", recipient}}},
          {"offline", {{"contact", "Call us on (415) 555-0142 or write to hello@brightleaf.example."}}}};
}
json button_head() {
  return fake_host::head("POST", "/a/sales/summary",
                         json{{"content-type", "application/json"}, {"accept", "application/json"}});
}
json args(const json& effect) { return json::parse(effect["body"].get<std::string>()); }
std::string rpc(std::string_view fn) { return "http://store.test/rest/v1/rpc/" + std::string(fn); }

json claim_of(std::string session, std::string through = "2025-11-22T08:00:00.000+00:00") {
  return {{"claim", "c-1"},
          {"session_id", session},
          {"session_key", "visitor-0001"},
          {"agent", "sales"},
          {"through", through},
          {"started_at", "2025-11-22T07:50:00.000+00:00"},
          {"message_count", 3},
          {"messages",
           json::array({{{"role", "user"}, {"content", "Hi, I'm Ana Lima. Can you quote a garden design?"}},
                        {{"role", "assistant"}, {"content", "Happy to. Call us on (415) 555-0142."}},
                        {{"role", "user"}, {"content", "Please email ana@example.com or call (415) 555-0199."}}})},
          {"profile", nullptr},
          {"month_cost_usd", 0}};
}


/// Store → queue → Mailgun → result for the last claimed conversation; returns the mail's fields.
std::map<std::string, std::string> send_through(fake_host& host, exchange_log& log, std::string summary_id,
                                                int mailgun_status = 200) {
  const json store = log.last_effect();
  REQUIRE(store["url"] == rpc("salient_summary_store"));
  host.reply(log, store["id"], 200,
             json{{"status", "stored"}, {"summary_id", summary_id}, {"link_expires_at", "2025-12-06T08:26:40+00:00"}}
                 .dump());
  const json queue = log.last_effect();
  REQUIRE(queue["url"] == rpc("salient_email_queue"));
  CHECK(args(queue)["p_summary_id"] == summary_id);
  CHECK(args(queue)["p_kind"] == "summary");
  host.reply(log, queue["id"], 200, R"({"email_id":"e-1"})");
  const json mail = log.last_effect();
  REQUIRE(mail["url"] == "http://mail.test/v3/mg.example.com/messages");
  auto fields = mail_fields(mail);
  host.reply(log, mail["id"], mailgun_status,
             mailgun_status == 200 ? R"({"id":"<1@mg>","message":"Queued"})" : R"({"message":"down"})");
  const json result = log.last_effect();
  REQUIRE(result["url"] == rpc("salient_email_result"));
  CHECK(args(result)["p_status"] == (mailgun_status == 200 ? "sent" : "failed"));
  host.reply(log, result["id"], 200, R"({"status":"sent"})");
  return fields;
}

}  // namespace

TEST_CASE("summary: the button claims the conversation, stores the rules' lead card and emails the team",
          "[summary]") {
  fake_host host(summary_flow, summary_config(), summary_env());
  auto log = host.start(button_head(), R"({"session_key":"visitor-0001"})");
  REQUIRE(log.effects.size() == 1);
  json claim = args(log.effects[0]);
  CHECK(log.effects[0]["url"] == rpc("salient_summary_claim"));
  CHECK(claim["p_session_key"] == "visitor-0001");
  CHECK(claim["p_agent"] == "sales");
  CHECK(claim["p_per_session_per_day"] == 5);
  host.reply(log, log.effects[0]["id"], 200,
             json{{"status", "claimed"}, {"claims", json::array({claim_of("s-1")})}}.dump());

  // No OPENROUTER_API_KEY: the rules path, without a model call.
  json stored = args(log.last_effect());
  CHECK(stored["p_method"] == "rules");
  CHECK(stored["p_claim"] == "c-1");
  CHECK(stored["p_trigger"] == "button");
  CHECK(stored["p_lead"]["email"] == "ana@example.com");
  CHECK(stored["p_lead"]["phone"] == "+14155550199");  // the business's own number is not the lead's
  CHECK_FALSE(stored.contains("p_llm"));
  auto mail = send_through(host, log, "00000000-0000-4000-8000-000000000001");
  CHECK(mail["to"] == "sales@brightleaf.example");
  CHECK(mail["h:Reply-To"] == "ana@example.com");
  CHECK(mail["subject"].find("Ana Lima") != std::string::npos);
  CHECK(mail["text"].find("https://shop.example/a/sales/transcript/00000000-0000-4000-8000-000000000001.") !=
        std::string::npos);
  REQUIRE(log.done);
  CHECK(log.status == 200);
  CHECK(json::parse(log.body) == json{{"status", "sent"}, {"sent_at", "2025-11-22T08:26:40.000Z"}});
}

TEST_CASE("summary: the button's other answers come from the claim", "[summary]") {
  fake_host host(summary_flow, summary_config(), summary_env());
  auto answer = [&](json claimed) {
    auto log = host.start(button_head(), R"({"session_key":"visitor-0001"})");
    host.reply(log, log.effects[0]["id"], 200, claimed.dump());
    REQUIRE(log.done);
    CHECK(log.effects.size() == 1);  // nothing summarized, nothing sent
    return log;
  };
  auto already = answer({{"status", "already_sent"}, {"sent_at", "2025-11-22T08:00:00+00:00"}});
  CHECK(already.status == 200);
  CHECK(json::parse(already.body)["status"] == "already_sent");
  CHECK(answer({{"status", "busy"}}).status == 202);
  auto none = answer({{"status", "no_conversation"}});
  CHECK(none.status == 400);
  CHECK(json::parse(none.body)["error"]["code"] == "no_conversation");
  auto limited = answer({{"status", "limited"}, {"retry_after", 3600}});
  CHECK(limited.status == 429);
  CHECK(limited.header("retry-after") == "3600");

  // htmx: the status line the page swaps in, escaped.
  auto log = host.start(fake_host::head("POST", "/a/sales/summary",
                                        json{{"content-type", "application/x-www-form-urlencoded"},
                                             {"hx-request", "true"}}),
                        "session_key=visitor-0001");
  host.reply(log, log.effects[0]["id"], 200, R"({"status":"already_sent","sent_at":"2025-11-22T08:00:00+00:00"})");
  CHECK(log.body == "<p id=\"summary-status\" class=\"summary-status\" role=\"status\">Already sent to the team at "
                    "2025-11-22 08:00 UTC; no new messages since.</p>");
}

TEST_CASE("summary: without a sales recipient or Mailgun the button says so and touches nothing", "[summary]") {
  fake_host no_recipient(summary_flow, summary_config(""), summary_env());
  auto log = no_recipient.start(button_head(), R"({"session_key":"visitor-0001"})");
  CHECK(log.status == 500);
  CHECK(log.effects.empty());
  json env = summary_env();
  env.erase("MAILGUN_API_KEY");
  fake_host no_mailgun(summary_flow, summary_config(), env);
  log = no_mailgun.start(button_head(), R"({"session_key":"visitor-0001"})");
  CHECK(log.status == 500);
  CHECK(log.effects.empty());
  CHECK(no_mailgun.start(button_head(), R"({"session_key":"bad key"})").status == 400);
}

TEST_CASE("summary: a Mailgun failure answers 503 and records the failure for the sweep's retry", "[summary]") {
  fake_host host(summary_flow, summary_config(), summary_env());
  auto log = host.start(button_head(), R"({"session_key":"visitor-0001"})");
  host.reply(log, log.effects[0]["id"], 200,
             json{{"status", "claimed"}, {"claims", json::array({claim_of("s-1")})}}.dump());
  send_through(host, log, "00000000-0000-4000-8000-000000000002", 503);
  CHECK(log.status == 503);
  CHECK(json::parse(log.body)["error"]["code"] == "send_failed");
}

TEST_CASE("summary: the scheduled sweep claims idle conversations and sends each", "[summary]") {
  fake_host host(summary_flow, summary_config(), summary_env());
  json head = fake_host::head("POST", "/internal/sweep");
  head["scheduled"] = true;
  auto log = host.start(head, R"({"trigger":"test","limit":2})");
  // Handoffs first (a visitor may be waiting): nothing due here, so the summaries get the run.
  REQUIRE(log.effects[0]["url"] == rpc("salient_handoff_due"));
  CHECK(args(log.effects[0])["p_limit"] == 1);
  host.reply(log, log.effects[0]["id"], 200, R"({"team_emails":[],"forwards":[],"notifies":[],"more":false})");
  json claim = args(log.effects[1]);
  CHECK(claim["p_session_key"].is_null());
  CHECK(claim["p_limit"] == 2);
  CHECK(claim["p_idle_minutes"] == 30);
  host.reply(log, log.effects[1]["id"], 200,
             json{{"status", "claimed"},
                  {"claims", json::array({claim_of("s-1"), claim_of("s-2")})},
                  {"more", true},
                  {"unknown", 1}}
                 .dump());
  CHECK(args(log.last_effect())["p_session_id"] == "s-1");
  send_through(host, log, "00000000-0000-4000-8000-000000000003");
  CHECK(args(log.last_effect())["p_session_id"] == "s-2");
  CHECK(args(log.last_effect())["p_trigger"] == "sweep");
  send_through(host, log, "00000000-0000-4000-8000-000000000004", 500);
  REQUIRE(log.done);
  json handoffs{{"team_emails", 0}, {"forwards", 0}, {"notifies", 0}, {"failed", 0}};
  CHECK(json::parse(log.body) ==
        json{{"claimed", 2}, {"sent", 1}, {"failed", 1}, {"unknown", 1}, {"more", true}, {"handoffs", handoffs}});

  // The same URL without the host's flag is a visitor's request: no sweep.
  CHECK(host.start(fake_host::head("POST", "/internal/sweep"), "{}").status == 404);
}

TEST_CASE("summary: the transcript link is signed, expires, and dies with the visitor's data", "[summary]") {
  fake_host host(summary_flow, summary_config(), summary_env());
  const std::string id = "00000000-0000-4000-8000-000000000001";
  std::string token = sign_transcript_link(test_secret, "sales", id, test_now_ms / 1000 + 3600);
  auto log = host.start(fake_host::head("GET", "/a/sales/transcript/" + token));
  REQUIRE(log.effects.size() == 1);
  CHECK(args(log.effects[0])["p_summary_id"] == id);
  host.reply(log, log.effects[0]["id"], 200,
             json{{"status", "ok"},
                  {"agent", "sales"},
                  {"lead", {{"name", "Ana <b>Lima</b>"}, {"outcome", "LEAD"}}},
                  {"link_expires_at", "2025-12-06T08:26:40+00:00"},
                  {"messages", json::array({{{"role", "user"}, {"content", "<script>x</script>"}, {"created_at", ""}}})}}
                 .dump());
  CHECK(log.status == 200);
  CHECK(log.header("x-robots-tag") == "noindex, nofollow");
  CHECK(log.body.find("<script>x") == std::string::npos);
  CHECK(log.body.find("&lt;script&gt;x") != std::string::npos);

  auto gone = host.start(fake_host::head("GET", "/a/sales/transcript/" + token));
  host.reply(gone, gone.effects[0]["id"], 200, R"({"status":"gone"})");
  CHECK(gone.status == 410);

  std::string expired = sign_transcript_link(test_secret, "sales", id, test_now_ms / 1000 - 1);
  auto late = host.start(fake_host::head("GET", "/a/sales/transcript/" + expired));
  CHECK(late.status == 410);
  CHECK(late.effects.empty());
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  CHECK(host.start(fake_host::head("GET", "/a/sales/transcript/" + forged)).status == 404);
  CHECK(host.start(fake_host::head("GET", "/a/support/transcript/" + token)).status == 404);  // no such agent
}
