// The stream's part of the handoff (issue 18; flows/stream/handoff_turn.h), driven by the
// scripted fake host: the quiet spell's holding note instead of an answer, a request for a person
// in the visitor's own words (recorded on the offline route, only offered on the model's), the
// notice when the assistant answers again, and the team's replies in the model's history.
#include <catch2/catch_test_macros.hpp>

#include <regex>

#include "fake_host.h"
#include "salient/flows/flows.h"

using namespace salient;
using namespace salient::testing;

namespace {

json team_config(bool with_team = true) {
  json cfg = {{"app", {{"name", "Brightleaf Gardens"}, {"tenant", "acme"}}},
              {"llm", {{"model", "test/model"}, {"retries", 2}, {"timeout_ms", 5000}}},
              {"offline", {{"human", "Call us on (415) 555-0142."}, {"fallback", "Offline fallback."}}}};
  if (with_team)
    cfg["handoff"] = {{"team", json::array({{{"email", "ana@team.example"}, {"name", "Ana Souza"}},
                                            {{"email", "bo@team.example"}, {"name", "Bo Chen"}}})}};
  return cfg;
}

std::string claim_doc(std::string message, json extra = json::object()) {
  json doc = {{"status", "claimed"}, {"message", std::move(message)}, {"session_id", "s-1"}, {"agent", "sales"},
              {"history", json::array()}, {"persona", nullptr}, {"profile", nullptr}};
  doc.update(extra);
  return doc.dump();
}

json args(const json& effect) { return json::parse(effect["body"].get<std::string>()); }
std::string rpc(std::string_view fn) { return "http://store.test/rest/v1/rpc/" + std::string(fn); }

exchange_log claimed(fake_host& host, std::string claim) {
  auto log = host.start(fake_host::head("GET", signed_stream_url()));
  REQUIRE(log.effects.size() == 1);
  REQUIRE(log.effects[0]["url"] == rpc("salient_claim_turn"));
  host.reply(log, log.effects[0]["id"], 200, std::move(claim));
  return log;
}

std::vector<std::string> urls(const exchange_log& log) {
  std::vector<std::string> out;
  for (const json& e : log.effects) out.push_back(e["url"]);
  return out;
}

/// The data of the stream's last event, which must be `done`.
json done_of(const exchange_log& log) {
  auto events = parse_sse(log.body);
  REQUIRE_FALSE(events.empty());
  REQUIRE(events.back().event == "done");
  return json::parse(events.back().data);
}

std::string tokens_of(const exchange_log& log) {
  std::string text;
  for (const auto& e : parse_sse(log.body))
    if (e.event == "token") text += json::parse(e.data)["text"].get<std::string>();
  return text;
}

/// One OpenRouter chunk event carrying `text`, then the end.
std::string llm_answer(std::string_view text) {
  json c = {{"id", "gen-1"}, {"object", "chat.completion.chunk"},
            {"choices", {{{"index", 0}, {"delta", {{"role", "assistant"}, {"content", text}}}, {"finish_reason", "stop"}}}}};
  return "data: " + c.dump() + "\n\ndata: [DONE]\n\n";
}

}  // namespace

TEST_CASE("handoff stream: during the quiet spell the visitor gets a holding note, not an answer", "[handoff]") {
  // A model is configured: it is not asked.
  fake_host host(stream_flow, team_config(), llm_test_env());
  auto log = claimed(host, claim_doc("Any news on the quote?", {{"handoff", {{"quiet", true}, {"resumed_note_due", false}}}}));
  CHECK(urls(log) == std::vector<std::string>{rpc("salient_claim_turn"), rpc("salient_finish_turn")});
  json finish = finish_args(log);
  CHECK(finish["p_turn_id"] == test_turn);
  CHECK(finish["p_content"] == "Your message is with Ana Souza and Bo Chen. They'll reply here.");
  CHECK(finish["p_metadata"] == json{{"mode", "handoff"}, {"handoff", "quiet"}});
  CHECK(finish["p_llm_request"].is_null());
  host.reply(log, log.last_effect()["id"], 200, R"({"message_id":"m"})");
  REQUIRE(log.done);
  CHECK(log.status == 200);
  CHECK(tokens_of(log) == "Your message is with Ana Souza and Bo Chen. They'll reply here.");
  json done = done_of(log);
  CHECK(done["handoff"] == "quiet");
  CHECK(done["message_id"] == finish["p_message_id"]);
  auto events = parse_sse(log.body);
  CHECK(json::parse(events.front().data)["mode"] == "handoff");  // no "Offline answer" badge
  // Nothing of the visitor's words in the logs.
  for (const json& line : log.logs) CHECK(line.dump().find("quote") == std::string::npos);
}

TEST_CASE("handoff stream: the holding note not stored is said, and done carries no message id", "[handoff]") {
  fake_host host(stream_flow, team_config());
  auto log = claimed(host, claim_doc("Hello?", {{"handoff", {{"quiet", true}}}}));
  host.reply(log, log.last_effect()["id"], 500, R"({"code":"XX000","message":"boom"})");
  REQUIRE(log.done);
  auto events = parse_sse(log.body);
  REQUIRE(events.size() >= 3);
  CHECK(events[events.size() - 2].event == "error");
  CHECK(done_of(log) == json{{"message_id", ""}, {"handoff", "quiet"}});
}

TEST_CASE("handoff stream: asking for a person on the offline route records the request", "[handoff]") {
  fake_host host(stream_flow, team_config());
  auto log = claimed(host, claim_doc("Can I talk to a person?"));
  REQUIRE(log.effects.size() == 2);
  REQUIRE(log.effects[1]["url"] == rpc("salient_handoff_request"));
  json asked = args(log.effects[1]);
  CHECK(asked["p_tenant"] == "acme");
  CHECK(asked["p_turn_id"] == test_turn);
  CHECK(asked["p_now_ms"] == test_now_ms);
  CHECK(asked["p_reply_days"] == 30);
  CHECK(asked["p_quiet_minutes"] == 15);
  CHECK(asked["p_per_session_per_day"] == 3);
  REQUIRE(asked["p_reply_id"].is_string());
  CHECK(std::regex_match(asked["p_reply_id"].get<std::string>(), std::regex("[a-z2-7]{26}")));
  host.reply(log, log.effects[1]["id"], 200, R"({"status":"requested","handoff_id":"h-1"})");
  json finish = finish_args(log);
  CHECK(finish["p_content"] == "Call us on (415) 555-0142.");
  CHECK(finish["p_metadata"]["intent"] == "human");
  host.reply(log, log.last_effect()["id"], 200, R"({"message_id":"m"})");
  CHECK(done_of(log)["handoff"] == "requested");
}

TEST_CASE("handoff stream: no request without a team, or with one under way, or when refused", "[handoff]") {
  SECTION("no team: the canned answer, nothing recorded, no button") {
    fake_host host(stream_flow, team_config(false));
    auto log = claimed(host, claim_doc("Can I talk to a person?"));
    CHECK(urls(log) == std::vector<std::string>{rpc("salient_claim_turn"), rpc("salient_finish_turn")});
    host.reply(log, log.last_effect()["id"], 200, "{}");
    CHECK_FALSE(done_of(log).contains("handoff"));
  }
  SECTION("a handoff already open (past its quiet spell): the team has the conversation") {
    fake_host host(stream_flow, team_config());
    auto log = claimed(host, claim_doc("Can I talk to a person?", {{"handoff", {{"quiet", false}}}}));
    CHECK(urls(log) == std::vector<std::string>{rpc("salient_claim_turn"), rpc("salient_finish_turn")});
    host.reply(log, log.last_effect()["id"], 200, "{}");
    CHECK_FALSE(done_of(log).contains("handoff"));
  }
  for (std::string answer : {R"({"status":"open"})", R"({"status":"limited"})", R"({"status":"what"})"}) {
    INFO(answer);
    fake_host host(stream_flow, team_config());
    auto log = claimed(host, claim_doc("Let me speak to someone, please"));
    REQUIRE(log.last_effect()["url"] == rpc("salient_handoff_request"));
    host.reply(log, log.last_effect()["id"], 200, answer);
    host.reply(log, log.last_effect()["id"], 200, "{}");  // the answer is stored all the same
    CHECK_FALSE(done_of(log).contains("handoff"));
  }
  fake_host host(stream_flow, team_config());
  auto log = claimed(host, claim_doc("Can I talk to a person?"));
  host.reply(log, log.last_effect()["id"], 503, "{}");
  CHECK(log.last_effect()["url"] == rpc("salient_finish_turn"));
  host.reply(log, log.last_effect()["id"], 200, "{}");
  CHECK_FALSE(done_of(log).contains("handoff"));
  // Words that are not a request for a person start nothing.
  auto other = claimed(host, claim_doc("How much is a rooftop garden?"));
  CHECK(other.last_effect()["url"] == rpc("salient_finish_turn"));
}

TEST_CASE("handoff stream: on the model's route asking for a person only offers the button", "[handoff]") {
  fake_host host(stream_flow, team_config(), llm_test_env());
  auto log = claimed(host, claim_doc("Can I talk to a person?"));
  REQUIRE(log.effects.size() == 2);
  REQUIRE(log.effects[1]["url"] == "http://llm.test/api/v1/chat/completions");
  host.feed_head(log, log.effects[1]["id"], 200, {{"content-type", "text/event-stream"}});
  host.feed_chunk(log, log.effects[1]["id"], llm_answer("Of course: press \"Talk to a person\"."));
  json finish = finish_args(log);
  CHECK(finish["p_metadata"]["mode"] == "llm");
  host.reply(log, log.last_effect()["id"], 200, "{}");
  for (const std::string& url : urls(log)) CHECK(url != rpc("salient_handoff_request"));
  CHECK(done_of(log)["handoff"] == "offer");
}

TEST_CASE("handoff stream: when the quiet spell ended unanswered, the assistant says it answers again",
          "[handoff]") {
  const json resumed = {{"handoff", {{"quiet", false}, {"resumed_note_due", true}}}};
  SECTION("offline") {
    fake_host host(stream_flow, team_config());
    auto log = claimed(host, claim_doc("How much is a rooftop garden?", resumed));
    auto events = parse_sse(log.body);
    REQUIRE(events.size() >= 2);
    CHECK(events[0].event == "notice");
    CHECK(json::parse(events[0].data) ==
          json{{"code", "handoff_resumed"},
               {"message", "No one from the team has replied yet, so I'm answering again. They can still reply here."}});
    json finish = finish_args(log);
    CHECK(finish["p_metadata"]["mode"] == "offline");
    CHECK(finish["p_metadata"]["handoff"] == "resumed");
    host.reply(log, log.last_effect()["id"], 200, "{}");
    CHECK_FALSE(done_of(log).contains("handoff"));
  }
  SECTION("the model") {
    fake_host host(stream_flow, team_config(), llm_test_env());
    auto log = claimed(host, claim_doc("How much is a rooftop garden?", resumed));
    CHECK(parse_sse(log.body)[0].event == "notice");
    host.feed_head(log, log.effects[1]["id"], 200, {{"content-type", "text/event-stream"}});
    host.feed_chunk(log, log.effects[1]["id"], llm_answer("From $4,000."));
    json finish = finish_args(log);
    CHECK(finish["p_metadata"]["mode"] == "llm");
    CHECK(finish["p_metadata"]["handoff"] == "resumed");
  }
  SECTION("told once: without the flag, no notice and no mark") {
    fake_host host(stream_flow, team_config());
    auto log = claimed(host, claim_doc("How much is a rooftop garden?", {{"handoff", {{"quiet", false}}}}));
    for (const auto& e : parse_sse(log.body)) CHECK(e.event != "notice");
    CHECK_FALSE(finish_args(log)["p_metadata"].contains("handoff"));
  }
}

TEST_CASE("handoff stream: a team member's reply reaches the model as the business's words, named",
          "[handoff]") {
  fake_host host(stream_flow, team_config(), llm_test_env());
  json history = json::array({{{"role", "user"}, {"content", "Can I talk to a person?"}},
                              {{"role", "assistant"}, {"content", "I've asked the team."}},
                              {{"role", "team"}, {"name", "Ana Souza"}, {"content", "Hi, Ana here: we can visit Tuesday."}}});
  auto log = claimed(host, claim_doc("Tuesday works. What time?", {{"history", history}}));
  REQUIRE(log.effects.size() == 2);
  json body = args(log.effects[1]);
  REQUIRE(body["messages"].size() == 5);
  CHECK(body["messages"][3] ==
        json{{"role", "assistant"}, {"content", "(Ana Souza, from the team, wrote:) Hi, Ana here: we can visit Tuesday."}});
  CHECK(body["messages"][4] == json{{"role", "user"}, {"content", "Tuesday works. What time?"}});
  for (const json& m : body["messages"]) CHECK(m["role"] != "team");  // OpenRouter knows no such role
}

TEST_CASE("handoff stream: the whole-answer format carries the handoff state too", "[handoff]") {
  fake_host host(stream_flow, team_config());
  auto log = host.start(fake_host::head("GET", signed_stream_url(false), json{{"accept", "application/json"}}));
  host.reply(log, log.effects[0]["id"], 200, claim_doc("Can I talk to a person?"));
  host.reply(log, log.last_effect()["id"], 200, R"({"status":"requested"})");
  host.reply(log, log.last_effect()["id"], 200, "{}");
  REQUIRE(log.done);
  json whole = json::parse(log.body);
  CHECK(whole["handoff"] == "requested");
  fake_host plain(stream_flow, team_config(false));
  auto other = plain.start(fake_host::head("GET", signed_stream_url(false), json{{"accept", "application/json"}}));
  plain.reply(other, other.effects[0]["id"], 200, claim_doc("Can I talk to a person?"));
  plain.reply(other, other.last_effect()["id"], 200, "{}");
  CHECK(json::parse(other.body)["handoff"].is_null());
}
