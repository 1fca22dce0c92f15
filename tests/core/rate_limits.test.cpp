// salient.yaml's rate_limits as the functions send and answer them (issue 19): the limits go to
// the store function that counts them (begin_turn's p_limits; p_email_limits of the functions
// that claim an email), the client's address only as a keyed hash, and a refusal is the same 429
// on every route. What the store counts is tests/db/rate-limits.test.mjs.
#include <catch2/catch_test_macros.hpp>

#include "handoff_support.h"
#include "salient/flows/flows.h"

using namespace handoff_test;

namespace {

json posted(std::string url, std::string ip = "203.0.113.7", bool html = false) {
  json h = fake_host::head("POST", std::move(url),
                           html ? json{{"content-type", "application/x-www-form-urlencoded"}, {"hx-request", "true"}}
                                : json{{"content-type", "application/json"}, {"accept", "application/json"}});
  h["client_ip"] = std::move(ip);
  return h;
}
constexpr const char* chat_body = R"({"message":"Hello","session_key":"visitor-0001","idempotency_key":"idem-0001"})";

json limited_config() {
  json cfg = handoff_config();
  cfg["rate_limits"] = {{"messages_per_minute", {{"ip", 7}, {"session", 3}, {"tenant", 90}}},
                        {"emails_per_hour", {{"ip", 4}, {"session", 2}, {"tenant", 50}}}};
  cfg["agents"]["support"]["rate_limits"] = {{"messages_per_minute", {{"session", 1}}}};
  cfg["email"] = {{"sales_recipient", "sales@brightleaf.example"}};
  return cfg;
}

}  // namespace

TEST_CASE("rate limits: the chat sends the agent's limits and a keyed hash of the address, never the address",
          "[rate]") {
  fake_host host(chat_flow, limited_config(), handoff_env());
  auto log = host.start(posted("/a/sales/chat"), chat_body);
  json limits = args(log.last_effect())["p_limits"];
  CHECK(limits["messages_per_minute"] == json{{"ip", 7}, {"session", 3}, {"tenant", 90}});
  CHECK(limits["tokens_per_day"] == json{{"ip", 200000}, {"session", 100000}, {"tenant", 5000000}});  // defaults
  std::string key = limits["ip_key"];
  CHECK(key.size() == 64);
  CHECK(log.last_effect().dump().find("203.0.113.7") == std::string::npos);

  // The same /64 is one client; another address is another key; no address, no key.
  auto v6a = host.start(posted("/a/sales/chat", "2001:db8:0:1::5"), chat_body);
  auto v6b = host.start(posted("/a/sales/chat", "2001:db8:0:1:ffff::9"), chat_body);
  auto other = host.start(posted("/a/sales/chat", "198.51.100.2"), chat_body);
  auto none = host.start(posted("/a/sales/chat", ""), chat_body);
  CHECK(args(v6a.last_effect())["p_limits"]["ip_key"] == args(v6b.last_effect())["p_limits"]["ip_key"]);
  CHECK(args(other.last_effect())["p_limits"]["ip_key"] != key);
  CHECK(args(none.last_effect())["p_limits"]["ip_key"] == "");

  // agents.<code>.rate_limits overrides key by key; the rest is the global section's.
  auto support = host.start(posted("/a/support/chat"), chat_body);
  CHECK(args(support.last_effect())["p_limits"]["messages_per_minute"] == json{{"ip", 7}, {"session", 1}, {"tenant", 90}});
}

TEST_CASE("rate limits: a limited message is a 429 with Retry-After and the wait in words, on JSON and htmx",
          "[rate]") {
  fake_host host(chat_flow, limited_config(), handoff_env());
  auto log = host.start(posted("/a/sales/chat"), chat_body);
  host.reply(log, log.last_effect()["id"], 200,
             R"({"status":"limited","limit":"messages_per_minute","scope":"ip","retry_after":42})");
  CHECK(log.status == 429);
  CHECK(log.header("retry-after") == "42");
  json body = json::parse(log.body);
  CHECK(body["error"]["code"] == "rate_limited");
  CHECK(body["error"]["message"] == "You're sending messages faster than we can answer. Please wait 42 seconds and try again.");
  CHECK(log.effects.size() == 1);  // no stream URL, no search
  bool logged = false;
  for (const json& l : log.logs) logged = logged || (l["event"] == "rate.limited" && l["scope"] == "ip");
  CHECK(logged);

  auto page = host.start(posted("/a/sales/chat", "203.0.113.7", true),
                         "message=Hi&session_key=visitor-0001&idempotency_key=idem-0002");
  host.reply(page, page.last_effect()["id"], 200,
             R"({"status":"limited","limit":"tokens_per_day","scope":"tenant","retry_after":7200})");
  CHECK(page.status == 429);
  CHECK(page.header("retry-after") == "7200");
  CHECK(page.body.find("This chat has reached its limit for today. Please try again in 2 hours") != std::string::npos);
  CHECK(page.body.find("data-code=\"rate_limited\"") != std::string::npos);
}

TEST_CASE("rate limits: the summary, handoff and code emails carry emails_per_hour; its refusal is rate_limited",
          "[rate]") {
  fake_host host(summary_flow, limited_config(), handoff_env());
  const json expected = json::array(
      {{{"scope", "ip"}, {"bucket", "email_ip"}, {"limit", 4}, {"window_seconds", 3600}},
       {{"scope", "session"}, {"bucket", "email_session"}, {"key", "visitor-0001"}, {"limit", 2}, {"window_seconds", 3600}},
       {{"scope", "tenant"}, {"bucket", "email_tenant"}, {"key", "all"}, {"limit", 50}, {"window_seconds", 3600}}});
  for (std::string route : {"summary", "handoff"}) {
    INFO(route);
    auto log = host.start(posted("/a/sales/" + route), R"({"session_key":"visitor-0001"})");
    json checks = args(log.last_effect())["p_email_limits"];
    REQUIRE(checks.size() == 3);
    CHECK(checks[0]["key"].get<std::string>().size() == 64);
    checks[0].erase("key");
    CHECK(checks == expected);
    host.reply(log, log.last_effect()["id"], 200,
               R"({"status":"limited","limit":"emails_per_hour","scope":"session","retry_after":1800})");
    CHECK(log.status == 429);
    CHECK(log.header("retry-after") == "1800");
    json body = json::parse(log.body);
    CHECK(body["error"]["code"] == "rate_limited");
    CHECK(body["error"]["message"] == "Too many emails were asked for. Please try again in 30 minutes.");
    CHECK(log.effects.size() == 1);  // nothing queued, nothing sent
  }
  // The feature's own cap keeps its own words.
  auto own = host.start(posted("/a/sales/summary"), R"({"session_key":"visitor-0001"})");
  host.reply(own, own.last_effect()["id"], 200, R"({"status":"limited","retry_after":600})");
  CHECK(own.status == 429);
  CHECK(json::parse(own.body)["error"]["code"] == "too_many_summaries");

  json env = handoff_env();
  env["SALIENT_OTP_SECRET"] = "otp-secret-0123456789abcdefghijklmnop";
  fake_host otp(otp_flow, limited_config(), env);
  auto code = otp.start(posted("/otp/request"), R"({"email":"ada@example.com","purpose":"delete_data"})");
  json checks = args(code.last_effect())["p_email_limits"];
  CHECK(checks[1]["key"] == "");  // an erasure has no conversation: its session limit is off
  otp.reply(code, code.last_effect()["id"], 200,
            R"({"status":"limited","limit":"emails_per_hour","scope":"ip","retry_after":30})");
  CHECK(code.status == 429);
  CHECK(json::parse(code.body)["error"]["code"] == "rate_limited");
}
