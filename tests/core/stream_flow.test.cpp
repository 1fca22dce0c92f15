// The stream function driven by the scripted fake host.
#include <catch2/catch_test_macros.hpp>

#include "fake_host.h"
#include "salient/flows.h"
#include "salient/stream_token.h"

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
  CHECK(json::parse(claim["body"].get<std::string>()) == json{{"p_tenant", "default"}, {"p_turn_id", turn}, {"p_history_limit", 20}});

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
    CHECK(events[i].id == std::to_string(i + 1));  // every event has an increasing id
    if (events[i].event == "token") text += events[i].data;
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

TEST_CASE("stream: a store failure before the stream is a retryable 503 error event", "[stream]") {
  fake_host host(stream_flow);
  auto log = host.start(fake_host::head("GET", stream_url()));
  host.fail(log, 1, effect_failure_kind::timeout);
  CHECK(log.status == 503);
  auto events = parse_sse(log.body);
  CHECK(json::parse(events[0].data)["retryable"] == true);
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
