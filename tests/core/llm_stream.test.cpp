// The stream function with a language model: the scripted fake host plays OpenRouter (and the
// state store) and asserts every request; each fault of the relay's failure matrix is played here.
// Invariants checked throughout: the visitor's message was stored before any of this (the
// chat function's job; the turn is claimed first), no text is sent twice, every stream ends
// with `done`, and whatever text was sent is what gets stored.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <cmath>
#include <functional>

#include "fake_host.h"
#include "salient/flows/flows.h"
#include "salient/http/stream_token.h"

using namespace salient;
using namespace salient::testing;

namespace {

constexpr std::int64_t now_ms = test_now_ms;

json base_config() {
  return {{"app", {{"name", "Brightleaf Gardens"}}},
          {"llm", {{"model", "test/model"}, {"retries", 2}, {"timeout_ms", 5000}}},
          {"offline", {{"fallback", "Offline fallback."}, {"greeting", "Offline hello."}}}};
}

std::string claimed(json extra = json::object()) {
  json doc = {{"status", "claimed"}, {"message", "Do you deliver?"}, {"session_id", "s-1"}, {"agent", "sales"},
              {"history", json::array()}, {"persona", nullptr}, {"profile", nullptr}};
  doc.update(extra);
  return doc.dump();
}

/// One OpenRouter chunk event carrying `text`.
std::string chunk(std::string_view text) {
  json c = {{"id", "gen-1"}, {"object", "chat.completion.chunk"},
            {"choices", {{{"index", 0}, {"delta", {{"role", "assistant"}, {"content", text}}}, {"finish_reason", nullptr}}}}};
  return "data: " + c.dump() + "\n\n";
}
std::string final_chunk() {
  json c = {{"id", "gen-1"}, {"object", "chat.completion.chunk"},
            {"choices", {{{"index", 0}, {"delta", {{"content", ""}}}, {"finish_reason", "stop"}}}},
            {"usage", {{"prompt_tokens", 40}, {"completion_tokens", 3}, {"total_tokens", 43}, {"cost", 0.00012}}}};
  return "data: " + c.dump() + "\n\n";
}

/// Starts a stream and answers the claim; the next effect is the first LLM call.
exchange_log start_claimed(fake_host& host, std::string claim = claimed(), bool json_events = true) {
  auto log = host.start(fake_host::head("GET", signed_stream_url(json_events)));
  host.reply(log, 1, 200, claim);
  return log;
}

std::string tokens_of(const std::string& body) {
  std::string text;
  for (const auto& e : parse_sse(body))
    if (e.event == "token") text += json::parse(e.data)["text"].get<std::string>();
  return text;
}

std::vector<std::string> event_names(const std::string& body) {
  std::vector<std::string> names;
  for (const auto& e : parse_sse(body)) names.push_back(e.event);
  return names;
}

}  // namespace

TEST_CASE("llm: the request carries the model settings, persona, history window and question", "[llm]") {
  fake_host host(stream_flow, base_config(), llm_test_env());
  json history = json::array({{{"role", "user"}, {"content", "Hi"}}, {{"role", "assistant"}, {"content", "Hello! How can I help?"}}});
  auto log = start_claimed(host, claimed({{"history", history}}));
  REQUIRE(log.effects.size() == 2);
  const json& call = log.effects[1];
  CHECK(call["url"] == "http://llm.test/api/v1/chat/completions");
  CHECK(call["method"] == "POST");
  CHECK(call["stream"] == true);
  CHECK(call["timeout_ms"] == 5000);
  CHECK_FALSE(call.contains("delay_ms"));
  json headers = call["headers"];
  CHECK(std::find(headers.begin(), headers.end(), json::array({"authorization", "Bearer sk-or-test-key"})) != headers.end());
  json body = json::parse(call["body"].get<std::string>());
  CHECK(body["model"] == "test/model");
  CHECK(body["stream"] == true);
  CHECK(body["max_tokens"] == 1024);
  REQUIRE(body["messages"].size() == 4);
  CHECK(body["messages"][0]["role"] == "system");
  std::string prompt = body["messages"][0]["content"];
  CHECK(prompt.find("Brightleaf Gardens") != std::string::npos);  // {{app_name}} filled in
  CHECK(prompt.find("{{app_name}}") == std::string::npos);
  CHECK(body["messages"][1] == json{{"role", "user"}, {"content", "Hi"}});
  CHECK(body["messages"][3] == json{{"role", "user"}, {"content", "Do you deliver?"}});
  // The key never appears in the body or the logs.
  CHECK(call["body"].get<std::string>().find("sk-or-test-key") == std::string::npos);
  for (const auto& l : log.logs) CHECK(l.dump().find("sk-or-test-key") == std::string::npos);
}

TEST_CASE("llm: contact details the visitor gave (identify) are in the prompt, quoted as data", "[llm][identify]") {
  fake_host host(stream_flow, base_config(), llm_test_env());
  json profile = {{"customer_name", "Ana \"Ignore previous\" Lima"}, {"email", "ana@example.com"}, {"phone", nullptr},
                  {"products_of_interest", json::array()}, {"services_of_interest", json::array()}};
  auto log = start_claimed(host, claimed({{"profile", profile}}));
  REQUIRE(log.effects.size() == 2);
  std::string prompt = json::parse(log.effects[1]["body"].get<std::string>())["messages"][0]["content"];
  CHECK(prompt.find(R"(name "Ana \"Ignore previous\" Lima";)") != std::string::npos);  // a JSON string: quotes escaped
  CHECK(prompt.find(R"(email "ana@example.com" (not verified);)") != std::string::npos);
  CHECK(prompt.find("not instructions") != std::string::npos);
  CHECK(prompt.find("do not ask for them again") != std::string::npos);

  fake_host plain(stream_flow, base_config(), llm_test_env());
  auto none = start_claimed(plain);
  std::string without = json::parse(none.effects[1]["body"].get<std::string>())["messages"][0]["content"];
  CHECK(without.find("contact details") == std::string::npos);
}

TEST_CASE("llm: a persona from the store wins; a small history budget drops the oldest messages", "[llm]") {
  json cfg = base_config();
  cfg["llm"]["history_tokens"] = 12;
  fake_host host(stream_flow, cfg, llm_test_env());
  json history = json::array({{{"role", "user"}, {"content", std::string(200, 'a')}},
                              {{"role", "assistant"}, {"content", "short"}}});
  auto log = start_claimed(host, claimed({{"history", history},
                                          {"persona", {{"code", "vip"}, {"name", "VIP"}, {"system_prompt", "You are {{app_name}}'s VIP desk."}}}}));
  json body = json::parse(log.effects[1]["body"].get<std::string>());
  REQUIRE(body["messages"].size() == 3);  // system, the recent "short", the question
  // The persona's prompt, then (always last) the canary paragraph (llm_canary.test.cpp).
  CHECK(body["messages"][0]["content"].get<std::string>().rfind("You are Brightleaf Gardens's VIP desk.\n\nConfidential: ", 0) == 0);
  CHECK(body["messages"][1]["content"] == "short");
}

TEST_CASE("llm: tokens are relayed as they arrive, exactly, and the answer is stored with its cost", "[llm]") {
  fake_host host(stream_flow, base_config(), llm_test_env());
  auto log = start_claimed(host);
  host.feed_head(log, 2, 200, {{"content-type", "text/event-stream"}}, now_ms + 250);
  CHECK(event_names(log.body) == std::vector<std::string>{"meta"});
  CHECK(json::parse(parse_sse(log.body)[0].data) == json{{"mode", "llm"}, {"model", "test/model"}, {"allow_basic_html", true}});
  std::string stream = ": OPENROUTER PROCESSING\n\n" + chunk("Yes, we deliver ") + chunk("within 20 miles — café 😀 \"quoted\"\n") +
                       final_chunk() + "data: [DONE]\n\n";
  // Cut into 7-byte pieces: inside lines, inside UTF-8 characters, between CR and LF.
  for (std::size_t at = 0; at < stream.size(); at += 7) host.feed_chunk(log, 2, std::string_view(stream).substr(at, 7));
  const std::string answer = "Yes, we deliver within 20 miles — café 😀 \"quoted\"\n";
  CHECK(tokens_of(log.body) == answer);
  // [DONE] ended the relay: the upstream is let go and the answer stored.
  CHECK(std::find(log.cancelled.begin(), log.cancelled.end(), 2u) != log.cancelled.end());
  json args = finish_args(log);
  CHECK(args["p_content"] == answer);
  CHECK(args["p_metadata"] == json{{"mode", "llm"}, {"model", "test/model"}, {"finish_reason", "stop"}});
  json row = args["p_llm_request"];
  CHECK(row["model"] == "test/model");
  CHECK(row["prompt_tokens"] == 40);
  CHECK(row["completion_tokens"] == 3);
  CHECK(row["cost"] == 0.00012);
  CHECK(row["latency_ms"] == 250);
  CHECK(row["request_body"]["model"] == "test/model");
  CHECK(row.dump().find("sk-or-test-key") == std::string::npos);
  host.reply(log, log.last_effect()["id"], 200, R"({"message_id":"x"})");
  CHECK(event_names(log.body).back() == "done");
  CHECK(log.done);
}

TEST_CASE("llm: the last tokens go out (a yield) before the answer is checked and stored", "[llm]") {
  fake_host host(stream_flow, base_config(), llm_test_env());
  auto log = start_claimed(host);
  host.feed_head(log, 2, 200, {{"content-type", "text/event-stream"}});
  // The whole answer and its end in one network piece, as a fast upstream sends a short answer.
  host.feed_chunk(log, 2, chunk("All in one piece.") + final_chunk() + "data: [DONE]\n\n");
  auto at = [&](std::string_view what, std::size_t from = 0) {
    return std::find(log.order.begin() + static_cast<std::ptrdiff_t>(from), log.order.end(), what) - log.order.begin();
  };
  auto yield = static_cast<std::size_t>(at("yield"));
  REQUIRE(yield < log.order.size());
  // The tokens before it (then the upstream let go), nothing else that costs time.
  CHECK(std::vector<std::string>(log.order.begin() + static_cast<std::ptrdiff_t>(yield) - 2,
                                 log.order.begin() + static_cast<std::ptrdiff_t>(yield)) ==
        std::vector<std::string>{"write", "cancel_effect"});
  CHECK(tokens_of(log.body) == "All in one piece.");
  CHECK(static_cast<std::size_t>(at("effect", yield)) < log.order.size());  // finish_turn only after it
  CHECK(std::count(log.order.begin(), log.order.end(), "yield") == 1);
  CHECK(finish_args(log)["p_content"] == "All in one piece.");
}

TEST_CASE("llm: 429 with Retry-After, 5xx, connect errors and timeouts before the first byte are retried", "[llm]") {
  fake_host host(stream_flow, base_config(), llm_test_env());
  auto log = start_claimed(host);
  host.feed_head(log, 2, 429, {{"retry-after", "2"}, {"content-type", "application/json"}});
  host.feed_chunk(log, 2, R"({"error":{"code":429,"message":"Rate limit exceeded"}})");
  host.feed_end(log, 2);
  REQUIRE(log.effects.size() == 3);
  CHECK(log.effects[2]["delay_ms"] == 2000);  // Retry-After honoured
  host.fail(log, 3, effect_failure_kind::connect);
  REQUIRE(log.effects.size() == 4);
  CHECK(log.effects[3]["delay_ms"].get<int>() <= 500);  // jittered backoff, second retry
  CHECK(log.effects[3]["body"] == log.effects[1]["body"]);  // the same request each time
  host.feed_head(log, 4, 200);
  host.feed_chunk(log, 4, chunk("Fine.") + final_chunk() + "data: [DONE]\n\n");
  CHECK(tokens_of(log.body) == "Fine.");
  CHECK(finish_args(log)["p_content"] == "Fine.");
  int attempts_logged = 0;
  for (const auto& l : log.logs)
    if (l["event"] == "llm.attempt_failed") ++attempts_logged;
  CHECK(attempts_logged == 2);
}

TEST_CASE("llm: when every attempt fails, the offline responder answers, labelled, with the reason", "[llm]") {
  fake_host host(stream_flow, base_config(), llm_test_env());
  auto log = start_claimed(host, claimed({{"message", "hello"}}));
  host.reply(log, 2, 503, R"({"error":{"code":503,"message":"no provider"}})");
  host.fail(log, 3, effect_failure_kind::timeout);
  host.reply(log, 4, 502, "");
  REQUIRE(log.effects.size() == 5);  // 1 + 2 retries, then finish_turn
  auto events = parse_sse(log.body);
  REQUIRE_FALSE(events.empty());
  json meta = json::parse(events[0].data);
  CHECK(meta["mode"] == "offline");
  CHECK(meta["reason"] == "llm_unavailable");
  CHECK(tokens_of(log.body) == "Offline hello.");
  CHECK(finish_args(log)["p_metadata"]["reason"] == "llm_unavailable");
}

TEST_CASE("llm: a 400 or 401 is not retried", "[llm]") {
  for (int status : {400, 401, 402}) {
    fake_host host(stream_flow, base_config(), llm_test_env());
    auto log = start_claimed(host);
    host.reply(log, 2, status, R"({"error":{"code":400,"message":"bad"}})");
    INFO(status);
    REQUIRE(log.effects.size() == 3);
    CHECK(log.effects[2]["url"] == "http://store.test/rest/v1/rpc/salient_finish_turn");
    CHECK(finish_args(log)["p_metadata"]["mode"] == "offline");
  }
}

TEST_CASE("llm: after the first byte nothing is retried; an interruption is an error event and the partial answer is kept", "[llm]") {
  struct fault {
    const char* name;
    std::function<void(fake_host&, exchange_log&)> play;
  };
  std::vector<fault> faults = {
      {"connection reset", [](fake_host& h, exchange_log& l) { h.fail(l, 2, effect_failure_kind::network); }},
      {"stall (idle timeout)", [](fake_host& h, exchange_log& l) { h.fail(l, 2, effect_failure_kind::timeout); }},
      {"truncated (no [DONE])", [](fake_host& h, exchange_log& l) { h.feed_end(l, 2); }},
      {"in-stream error", [](fake_host& h, exchange_log& l) {
         h.feed_chunk(l, 2, R"(data: {"id":"gen-1","object":"chat.completion.chunk","error":{"code":502,"message":"Provider disconnected"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]})"
                            "\n\n");
       }},
  };
  for (auto& f : faults) {
    fake_host host(stream_flow, base_config(), llm_test_env());
    auto log = start_claimed(host);
    host.feed_head(log, 2, 200);
    host.feed_chunk(log, 2, chunk("Partial ") + chunk("answer"));
    f.play(host, log);
    INFO(f.name);
    CHECK(tokens_of(log.body) == "Partial answer");  // nothing duplicated, nothing retried
    int llm_calls = 0;
    for (const auto& e : log.effects)
      if (e["url"] == "http://llm.test/api/v1/chat/completions") ++llm_calls;
    CHECK(llm_calls == 1);
    auto names = event_names(log.body);
    REQUIRE(names.size() >= 2);
    CHECK(names.back() == "error");
    json err = json::parse(parse_sse(log.body).back().data);
    CHECK(err["retryable"] == true);
    CHECK(err["code"] == "upstream_error");
    json args = finish_args(log);
    CHECK(args["p_content"] == "Partial answer");
    CHECK(args["p_metadata"]["interrupted"] == true);
    host.reply(log, log.last_effect()["id"], 200, R"({"message_id":"x"})");
    CHECK(event_names(log.body).back() == "done");
  }
}

TEST_CASE("llm: a malformed chunk is skipped and counted; the answer goes on", "[llm]") {
  fake_host host(stream_flow, base_config(), llm_test_env());
  auto log = start_claimed(host);
  host.feed_head(log, 2, 200);
  host.feed_chunk(log, 2, chunk("One ") + "data: {not json\n\n" + chunk("two.") + final_chunk() + "data: [DONE]\n\n");
  CHECK(tokens_of(log.body) == "One two.");
  json args = finish_args(log);
  CHECK(args["p_metadata"]["malformed_chunks"] == 1);
  CHECK_FALSE(args["p_metadata"].contains("interrupted"));
}

TEST_CASE("llm: a visitor who leaves mid-answer stops the upstream call; what they saw is stored", "[llm]") {
  fake_host host(stream_flow, base_config(), llm_test_env());
  auto log = start_claimed(host);
  host.feed_head(log, 2, 200);
  host.feed_chunk(log, 2, chunk("Half an "));
  std::size_t written = log.body.size();
  host.cancel(log);
  CHECK(std::find(log.cancelled.begin(), log.cancelled.end(), 2u) != log.cancelled.end());  // billing stops
  json args = finish_args(log);  // begun after the cancel: it survives it
  CHECK(args["p_content"] == "Half an ");
  CHECK(args["p_metadata"]["interrupted"] == true);
  host.reply(log, log.last_effect()["id"], 200, R"({"message_id":"x"})");
  CHECK(log.body.size() == written);  // nothing more is written to a client that left
  CHECK(log.done);
}

TEST_CASE("llm: html events escape the model's text", "[llm]") {
  fake_host host(stream_flow, base_config(), llm_test_env());
  auto log = start_claimed(host, claimed(), /*json_events=*/false);
  host.feed_head(log, 2, 200);
  host.feed_chunk(log, 2, chunk("<img src=x onerror=alert(1)>") + final_chunk() + "data: [DONE]\n\n");
  std::string text;
  for (const auto& e : parse_sse(log.body))
    if (e.event == "token") text += e.data;
  CHECK(text == "&lt;img src=x onerror=alert(1)&gt;");
}

TEST_CASE("llm: a bad OPENROUTER_BASE_URL is a logged configuration error; the offline responder answers", "[llm]") {
  json env = llm_test_env();
  env["OPENROUTER_BASE_URL"] = "ftp://nope";
  fake_host host(stream_flow, base_config(), env);
  auto log = start_claimed(host);
  REQUIRE(log.effects.size() == 2);
  CHECK(log.effects[1]["url"] == "http://store.test/rest/v1/rpc/salient_finish_turn");
  CHECK(finish_args(log)["p_metadata"]["reason"] == "llm_misconfigured");
  bool logged = false;
  for (const auto& l : log.logs) logged = logged || l["event"] == "config.invalid";
  CHECK(logged);
}

TEST_CASE("llm: once the month's budget is spent the offline responder answers, without calling the model", "[llm]") {
  json cfg = base_config();
  cfg["budget"] = {{"monthly_usd", 5.0}};
  fake_host host(stream_flow, cfg, llm_test_env());
  auto log = start_claimed(host, claimed({{"month_cost_usd", 5.01}}));
  REQUIRE(log.effects.size() == 2);
  CHECK(log.effects[1]["url"] == "http://store.test/rest/v1/rpc/salient_finish_turn");
  CHECK(finish_args(log)["p_metadata"]["reason"] == "budget_spent");
  auto under = start_claimed(host, claimed({{"month_cost_usd", 4.99}}));
  CHECK(under.last_effect()["url"] == "http://llm.test/api/v1/chat/completions");
}

namespace {
/// A stream request at `at_ms` whose model calls all fail with 503 until the offline answer.
exchange_log failing_turn(fake_host& host, std::int64_t at_ms) {
  auto log = host.start(fake_host::head("GET", "/a/sales/events/stream?stream_id=" +
                                                   percent_encode(sign_stream_id(test_secret, "sales", test_turn, at_ms / 1000 + 60)) +
                                                   "&format=json",
                                        json::array(), at_ms));
  host.reply(log, 1, 200, claimed());
  while (log.last_effect()["url"] == "http://llm.test/api/v1/chat/completions")
    host.reply(log, log.last_effect()["id"], 503, R"({"error":{"code":503,"message":"down"}})");
  return log;
}
int llm_calls(const exchange_log& log) {
  int n = 0;
  for (const auto& e : log.effects) n += e["url"] == "http://llm.test/api/v1/chat/completions";
  return n;
}
}  // namespace

TEST_CASE("llm: the circuit breaker opens after repeated failures, skips the model, and closes after the cooldown", "[llm]") {
  json cfg = base_config();
  cfg["resilience"] = {{"breaker_failures", 4}, {"breaker_window_seconds", 30}, {"breaker_cooldown_seconds", 30}};
  fake_host host(stream_flow, cfg, llm_test_env());
  auto first = failing_turn(host, now_ms);
  CHECK(llm_calls(first) == 3);  // 1 + 2 retries: 3 failures, breaker still closed
  auto second = failing_turn(host, now_ms + 1000);
  CHECK(llm_calls(second) == 1);  // the 4th failure opens it: no more retries
  bool opened = false;
  for (const auto& l : second.logs) opened = opened || l["event"] == "llm.breaker_opened";
  CHECK(opened);
  auto third = failing_turn(host, now_ms + 2000);
  CHECK(llm_calls(third) == 0);  // open: straight to the offline responder
  CHECK(finish_args(third)["p_metadata"]["reason"] == "llm_unavailable");
  auto later = failing_turn(host, now_ms + 1000 + 31000);
  CHECK(llm_calls(later) >= 1);  // cooled down: the model is tried again
}

TEST_CASE("llm: without a cost in the usage, the models endpoint's prices give it (fetched once per instance)", "[llm]") {
  fake_host host(stream_flow, base_config(), llm_test_env());
  json no_cost = {{"id", "gen-1"}, {"choices", {{{"index", 0}, {"delta", {{"content", ""}}}, {"finish_reason", "stop"}}}},
                  {"usage", {{"prompt_tokens", 1000}, {"completion_tokens", 200}, {"total_tokens", 1200}}}};
  std::string tail = "data: " + no_cost.dump() + "\n\ndata: [DONE]\n\n";
  auto log = start_claimed(host);
  host.feed_head(log, 2, 200);
  host.feed_chunk(log, 2, chunk("Hi.") + tail);
  const json& models = log.last_effect();
  CHECK(models["url"] == "http://llm.test/api/v1/models");
  CHECK(models["method"] == "GET");
  host.reply(log, models["id"], 200,
             R"({"data":[{"id":"test/model","pricing":{"prompt":"0.000001","completion":"0.000002"}},{"id":"other","pricing":{"prompt":"x"}}]})");
  json row = finish_args(log)["p_llm_request"];
  CHECK(row["unit_cost_prompt"] == 0.000001);
  CHECK(row["unit_cost_completion"] == 0.000002);
  CHECK(std::abs(row["cost"].get<double>() - 0.0014) < 1e-12);
  host.reply(log, log.last_effect()["id"], 200, R"({"message_id":"x"})");

  auto again = start_claimed(host);
  host.feed_head(again, 2, 200);
  host.feed_chunk(again, 2, chunk("Hi.") + tail);
  CHECK(again.last_effect()["url"] == "http://store.test/rest/v1/rpc/salient_finish_turn");  // cached
  CHECK(finish_args(again)["p_llm_request"]["unit_cost_prompt"] == 0.000001);
}
