// The stream function driven by the scripted fake host.
#include <catch2/catch_test_macros.hpp>

#include "fake_host.h"
#include "salient/flows/flows.h"
#include "salient/http/stream_token.h"

using namespace salient;
using namespace salient::testing;

namespace {

constexpr const char* turn = "019a9b4e-0000-7000-8000-000000000001";

std::string stream_url(std::int64_t exp = test_now_ms / 1000 + 60, std::string agent = "sales",
                       const char* secret = test_secret) {
  return "/a/" + agent + "/events/stream?stream_id=" + percent_encode(sign_stream_id(secret, agent, turn, exp));
}

const char* claimed(const char* message) {
  static std::string doc;
  doc = json{{"status", "claimed"}, {"message", message}, {"session_id", "s-1"}}.dump();
  return doc.c_str();
}

}  // namespace

TEST_CASE("stream: a valid stream_id claims the turn, streams the offline answer, stores it, then done", "[stream]") {
  fake_host host(stream_flow, json{{"offline", {{"pricing", "Prices start at $10.\nAsk for a quote."}}}});
  auto log = host.start(fake_host::head("GET", stream_url()));
  REQUIRE(log.order == std::vector<std::string>{"effect"});  // verified, then claimed before any byte
  json claim = log.last_effect();
  CHECK(claim["url"] == "http://store.test/rest/v1/rpc/salient_claim_turn");
  json claim_args = json::parse(claim["body"].get<std::string>());
  CHECK(is_uuid(claim_args["p_claim"].get<std::string>()));  // this request's own claim token
  claim_args.erase("p_claim");
  CHECK(claim_args == json{{"p_tenant", "default"}, {"p_turn_id", turn}, {"p_history_limit", 20}});

  host.reply(log, 1, 200, claimed("how much?"));
  CHECK(log.status == 200);
  CHECK(log.header("content-type") == "text/event-stream; charset=utf-8");
  CHECK(log.header("cache-control") == "no-store");
  // The answer is on the wire before it is stored; finish_turn is the second effect.
  REQUIRE(log.effects.size() == 2);
  json finish = json::parse(log.effects[1]["body"].get<std::string>());
  CHECK(log.effects[1]["url"] == "http://store.test/rest/v1/rpc/salient_finish_turn");
  CHECK(finish["p_turn_id"] == turn);
  CHECK(finish["p_content"] == "Prices start at $10.\nAsk for a quote.");
  CHECK(finish["p_metadata"] == json{{"mode", "offline"}, {"intent", "pricing"}, {"reason", "no_llm_key"}});
  CHECK_FALSE(log.done);

  host.reply(log, 2, 200, R"({"message_id":"m"})");
  CHECK(log.done);
  auto events = parse_sse(log.body);
  REQUIRE(events.size() >= 4);
  CHECK(events.front().event == "meta");
  CHECK(events.front().data.find("Offline answer") != std::string::npos);
  std::string text;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].event == "token") text += events[i].data;
    // Every event has an id: its number, then the answer bytes sent so far (for a resume).
    CHECK(events[i].id == std::to_string(i + 1) + "-" + std::to_string(text.size()));
  }
  CHECK(text == "Prices start at $10.\nAsk for a quote.");
  CHECK(events.back().event == "done");
  CHECK(json::parse(events.back().data)["message_id"] == finish["p_message_id"]);
}

TEST_CASE("stream: format=json carries tokens as JSON and meta names the intent", "[stream]") {
  fake_host host(stream_flow);
  auto log = host.start(fake_host::head("GET", stream_url() + "&format=json"));
  host.reply(log, 1, 200, claimed("hello <b>"));
  host.reply(log, 2, 200, "{}");
  auto events = parse_sse(log.body);
  json meta = json::parse(events.front().data);
  CHECK(meta["mode"] == "offline");
  CHECK(meta["intent"] == "greeting");
  for (auto& e : events)
    if (e.event == "token") CHECK(json::parse(e.data).contains("text"));
}

TEST_CASE("stream: html tokens are escaped", "[stream]") {
  fake_host host(stream_flow, json{{"offline", {{"greeting", "Hi <script>x</script>"}}}});
  auto log = host.start(fake_host::head("GET", stream_url()));
  host.reply(log, 1, 200, claimed("hello"));
  CHECK(log.body.find("<script>") == std::string::npos);
  CHECK(log.body.find("&lt;script&gt;") != std::string::npos);
}

TEST_CASE("stream: a replayed stream_id is 410 with an error event", "[stream]") {
  fake_host host(stream_flow);
  auto log = host.start(fake_host::head("GET", stream_url()));
  host.reply(log, 1, 200, R"({"status":"already_claimed"})");
  CHECK(log.status == 410);
  CHECK(log.header("content-type") == "text/event-stream; charset=utf-8");
  auto events = parse_sse(log.body);
  REQUIRE(events.size() == 1);
  CHECK(events[0].event == "error");
  CHECK(events[0].id == "1");
  json data = json::parse(events[0].data);
  CHECK(data["code"] == "gone");
  CHECK(data["retryable"] == false);
  CHECK(log.effects.size() == 1);  // nothing stored
}

TEST_CASE("stream: bad stream_ids are refused before any effect", "[stream]") {
  struct bad_case {
    const char* name;
    std::string url;
    int status;
    const char* code;
  };
  std::string good = stream_url();
  std::string tampered = good;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  std::vector<bad_case> cases = {
      {"expired", stream_url(test_now_ms / 1000 - 1), 401, "unauthorized"},
      {"tampered", tampered, 401, "unauthorized"},
      {"other agent's id", "/a/sales/events/stream?stream_id=" +
                               percent_encode(sign_stream_id(test_secret, "support", turn, test_now_ms / 1000 + 60)),
       401, "unauthorized"},
      {"wrong secret", stream_url(test_now_ms / 1000 + 60, "sales", "another-secret-0123456789abcdef012345"), 401,
       "unauthorized"},
      {"malformed", "/a/sales/events/stream?stream_id=nonsense", 400, "bad_request"},
      {"missing", "/a/sales/events/stream", 400, "bad_request"},
      {"unknown agent", "/a/nobody/events/stream?stream_id=x", 404, "not_found"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    fake_host host(stream_flow);
    auto log = host.start(fake_host::head("GET", c.url));
    CHECK(log.effects.empty());
    CHECK(log.status == c.status);
    auto events = parse_sse(log.body);
    REQUIRE(events.size() == 1);
    CHECK(events[0].event == "error");
    CHECK(json::parse(events[0].data)["code"] == c.code);
    CHECK(log.done);
  }
}

TEST_CASE("stream: a store failure before the stream is retried with the same claim token, then a retryable 503", "[stream]") {
  fake_host host(stream_flow);
  auto log = host.start(fake_host::head("GET", stream_url()));
  host.fail(log, 1, effect_failure_kind::timeout);
  REQUIRE(log.effects.size() == 2);  // the claim's answer may have been lost: the same claim again
  CHECK(log.effects[1]["body"] == log.effects[0]["body"]);
  CHECK(log.effects[1]["delay_ms"] == 200);
  host.reply(log, 2, 503, R"({"code":"PGRST000","message":"unavailable"})");
  REQUIRE(log.effects.size() == 3);
  CHECK(log.effects[2]["delay_ms"] == 800);
  host.fail(log, 3, effect_failure_kind::connect);
  CHECK(log.effects.size() == 3);  // three tries
  CHECK(log.status == 503);
  auto events = parse_sse(log.body);
  CHECK(json::parse(events[0].data)["retryable"] == true);
}

TEST_CASE("stream: a claim answered on its retry streams as usual; a store refusal is not retried", "[stream]") {
  fake_host host(stream_flow);
  auto log = host.start(fake_host::head("GET", stream_url()));
  host.reply(log, 1, 502, "");
  host.reply(log, 2, 200, claimed("hello"));
  CHECK(log.status == 200);
  auto gone = host.start(fake_host::head("GET", stream_url()));
  host.reply(gone, 1, 200, R"({"status":"already_claimed"})");
  CHECK(gone.status == 410);
  CHECK(gone.effects.size() == 1);
}

TEST_CASE("stream: storing the answer is tried again on a lost answer or 503, with the same message id", "[stream]") {
  fake_host host(stream_flow);
  auto log = host.start(fake_host::head("GET", stream_url() + "&format=json"));
  host.reply(log, 1, 200, claimed("hi"));
  host.fail(log, 2, effect_failure_kind::network);
  host.reply(log, 3, 503, "");
  REQUIRE(log.effects.size() == 4);
  CHECK(log.effects[3]["body"] == log.effects[1]["body"]);  // an upsert by message id: harmless twice
  host.reply(log, 4, 200, R"({"message_id":"m-1"})");
  auto events = parse_sse(log.body);
  CHECK(events.back().event == "done");
  for (const auto& e : events) CHECK(e.event != "error");
}

TEST_CASE("stream: failing to store the answer sends an error event, then done", "[stream]") {
  fake_host host(stream_flow);
  auto log = host.start(fake_host::head("GET", stream_url() + "&format=json"));
  host.reply(log, 1, 200, claimed("hi"));
  host.reply(log, 2, 500, R"({"code":"XX000","message":"boom"})");
  auto events = parse_sse(log.body);
  REQUIRE(events.size() >= 3);
  CHECK(events[events.size() - 2].event == "error");
  CHECK(json::parse(events[events.size() - 2].data)["retryable"] == false);
  CHECK(events.back().event == "done");
  CHECK(log.status == 200);
}

TEST_CASE("stream: a client that leaves while the turn is claimed cancels the effect", "[stream]") {
  fake_host host(stream_flow);
  auto log = host.start(fake_host::head("GET", stream_url()));
  host.cancel(log);
  CHECK(log.cancelled == std::vector<std::uint32_t>{1});
  CHECK(log.done);
  CHECK(log.status == 0);  // nobody to answer
}

TEST_CASE("stream: only GET opens a stream", "[stream]") {
  fake_host host(stream_flow);
  CHECK(host.start(fake_host::head("POST", stream_url())).status == 405);
}

TEST_CASE("stream: a client that leaves while the answer is stored does not lose it", "[stream]") {
  fake_host host(stream_flow);
  auto log = host.start(fake_host::head("GET", stream_url()));
  host.reply(log, 1, 200, claimed("hello"));
  REQUIRE(log.effects.size() == 2);  // finish_turn in flight
  host.cancel(log);
  CHECK(log.cancelled.empty());      // the store call is not aborted
  CHECK_FALSE(log.done);
  host.reply(log, 2, 200, "{}");
  CHECK(log.done);
  REQUIRE_FALSE(log.logs.empty());
  CHECK(log.logs.back()["event"] == "stream.answered");
}

// ---- resuming a dropped stream (Last-Event-ID) ------------------------------------------------

namespace {

const std::string stored_text = "Prices start at €10.\nAsk for a quote.";

std::string answered(json metadata = json::object()) {
  return json{{"status", "answered"}, {"message_id", "m-1"}, {"content", stored_text}, {"metadata", metadata}}.dump();
}

}  // namespace

TEST_CASE("stream: Last-Event-ID resumes from the stored answer, after the bytes the client had", "[stream][resume]") {
  fake_host host(stream_flow);
  auto log = host.start(fake_host::head("GET", stream_url() + "&format=json", json{{"last-event-id", "3-13"}}));
  REQUIRE(log.effects.size() == 1);  // no claim: the turn was claimed by the dropped stream
  CHECK(log.last_effect()["url"] == "http://store.test/rest/v1/rpc/salient_turn_answer");
  CHECK(json::parse(log.last_effect()["body"].get<std::string>()) == json{{"p_tenant", "default"}, {"p_turn_id", turn}});
  json cited = json::array({{{"n", 1}, {"title", "Prices"}, {"url", "/prices"}}});
  host.reply(log, 1, 200, answered({{"mode", "llm"}, {"citations", cited}}));
  CHECK(log.status == 200);
  CHECK(log.done);
  auto events = parse_sse(log.body);
  REQUIRE(events.size() == 3);
  CHECK(events[0].event == "token");
  CHECK(json::parse(events[0].data)["text"] == stored_text.substr(13));
  CHECK(events[0].id == "4-" + std::to_string(stored_text.size()));  // the ids go on
  CHECK(events[1].event == "citations");
  CHECK(json::parse(events[1].data)["citations"] == cited);
  CHECK(events[2].event == "done");
  CHECK(json::parse(events[2].data)["message_id"] == "m-1");
}

TEST_CASE("stream: a resume of a whole answer sends no text; of an interrupted one, the retryable error", "[stream][resume]") {
  fake_host whole(stream_flow);
  std::string end = "40-" + std::to_string(stored_text.size());
  auto log = whole.start(fake_host::head("GET", stream_url() + "&format=json", json{{"last-event-id", end}}));
  whole.reply(log, 1, 200, answered());
  auto events = parse_sse(log.body);
  REQUIRE(events.size() == 1);
  CHECK(events[0].event == "done");

  fake_host cut(stream_flow);
  log = cut.start(fake_host::head("GET", stream_url() + "&format=json", json{{"last-event-id", "2-6"}}));
  cut.reply(log, 1, 200, answered({{"mode", "llm"}, {"interrupted", true}}));
  events = parse_sse(log.body);
  REQUIRE(events.size() == 3);
  CHECK(json::parse(events[0].data)["text"] == stored_text.substr(6));
  CHECK(events[1].event == "error");
  CHECK(json::parse(events[1].data)["retryable"] == true);
  CHECK(events[2].event == "done");
}

TEST_CASE("stream: a resume before the answer is stored is a retryable 503; an unknown turn a 404", "[stream][resume]") {
  fake_host pending(stream_flow);
  auto log = pending.start(fake_host::head("GET", stream_url(), json{{"last-event-id", "2-6"}}));
  pending.reply(log, 1, 200, R"({"status":"pending"})");
  CHECK(log.status == 503);
  auto events = parse_sse(log.body);
  REQUIRE(events.size() == 1);
  CHECK(json::parse(events[0].data)["retryable"] == true);

  fake_host gone(stream_flow);
  log = gone.start(fake_host::head("GET", stream_url(), json{{"last-event-id", "2-6"}}));
  gone.reply(log, 1, 200, R"({"status":"not_found"})");
  CHECK(log.status == 404);
}

TEST_CASE("stream: a Last-Event-ID that this answer's stream could not have sent is a 400", "[stream][resume]") {
  for (std::string bad : {"abc", "0-5", "-5", "5-", "5", "5-x", "1234567890-1", "5-1e3", "3- 4", "7-1000"}) {
    INFO(bad);
    fake_host host(stream_flow);
    auto log = host.start(fake_host::head("GET", stream_url(), json{{"last-event-id", bad}}));
    if (!log.effects.empty()) host.reply(log, 1, 200, answered());  // "7-1000": past the stored text
    CHECK(log.status == 400);
    CHECK(json::parse(parse_sse(log.body).at(0).data)["code"] == "bad_request");
  }
  // Inside the two bytes of "€" (its first byte is at 17).
  fake_host host(stream_flow);
  auto log = host.start(fake_host::head("GET", stream_url(), json{{"last-event-id", "5-18"}}));
  host.reply(log, 1, 200, answered());
  CHECK(log.status == 400);
}

TEST_CASE("stream: a resume is accepted for a while after the stream URL expired; a first GET is not", "[stream][resume]") {
  std::string late = stream_url(test_now_ms / 1000 - 120);
  fake_host first(stream_flow);
  auto log = first.start(fake_host::head("GET", late));
  CHECK(log.status == 401);
  CHECK(log.effects.empty());

  fake_host resume(stream_flow);
  log = resume.start(fake_host::head("GET", late, json{{"last-event-id", "2-6"}}));
  REQUIRE(log.effects.size() == 1);
  resume.reply(log, 1, 200, answered());
  CHECK(log.status == 200);

  fake_host too_late(stream_flow);
  log = too_late.start(fake_host::head("GET", stream_url(test_now_ms / 1000 - 700), json{{"last-event-id", "2-6"}}));
  CHECK(log.status == 401);
}

TEST_CASE("stream: Accept: application/json gets the whole answer as one JSON document", "[stream]") {
  fake_host host(stream_flow, json{{"offline", {{"pricing", "Prices start at $10.\nAsk for a quote."}}}});
  auto log = host.start(fake_host::head("GET", stream_url() + "&format=json", {{"accept", "application/json"}}));
  host.reply(log, 1, 200, claimed("how much?"));
  // Nothing is answered until the answer is complete and stored.
  CHECK(log.status == 0);
  CHECK(log.body.empty());
  REQUIRE(log.effects.size() == 2);
  json finish = json::parse(log.effects[1]["body"].get<std::string>());
  host.reply(log, 2, 200, R"({"message_id":"m"})");
  CHECK(log.done);
  CHECK(log.status == 200);
  CHECK(log.header("content-type").rfind("application/json", 0) == 0);
  json doc = json::parse(log.body);
  CHECK(doc["text"] == "Prices start at $10.\nAsk for a quote.");
  CHECK(doc["meta"]["mode"] == "offline");
  CHECK(doc["meta"]["intent"] == "pricing");
  CHECK(doc["notices"] == json::array());
  CHECK(doc["citations"] == json::array());
  CHECK(doc["error"].is_null());
  CHECK(doc["message_id"] == finish["p_message_id"]);
}

TEST_CASE("stream: a whole-answer request's errors are JSON, not an event stream", "[stream]") {
  fake_host host(stream_flow);
  auto log = host.start(fake_host::head("GET", stream_url(test_now_ms / 1000 - 1), {{"accept", "application/json"}}));
  CHECK(log.effects.empty());
  CHECK(log.status == 401);
  CHECK(log.header("content-type").rfind("application/json", 0) == 0);
  CHECK(json::parse(log.body)["error"]["code"].is_string());
}
