// Security headers on every kind of answer the core gives (issue 19): pages, fragments, JSON,
// event streams, errors of each format, the forged-request refusal. Every answer is nosniff and
// no-store (nothing of a conversation is cached); every HTML answer carries the CSP (no framing
// by other sites, no base or form target elsewhere); pages and API answers keep their URL from
// other sites (Referrer-Policy). The static files' headers are the hosts' (tests/e2e/cors.test.mjs).
#include <catch2/catch_test_macros.hpp>

#include "handoff_support.h"

using namespace salient;
using namespace salient::testing;

namespace {

void check_common(const exchange_log& log, bool referrer = true) {
  CHECK(log.header("x-content-type-options") == "nosniff");
  CHECK(log.header("cache-control") == "no-store");
  if (referrer) CHECK(log.header("referrer-policy") == "same-origin");
}

void check_html(const exchange_log& log) {
  check_common(log);
  CHECK(log.header("content-type") == "text/html; charset=utf-8");
  std::string csp = log.header("content-security-policy");
  INFO(csp);
  for (const char* directive : {"default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "frame-ancestors 'self'",
                                "base-uri 'none'", "form-action 'self'"})
    CHECK(csp.find(directive) != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(csp.find("'unsafe-eval'") == std::string::npos);
}

json form(json extra = json::object()) {
  json h = {{"content-type", "application/x-www-form-urlencoded"}, {"hx-request", "true"}};
  h.update(extra);
  return h;
}

}  // namespace

TEST_CASE("headers: pages, fragments and HTML errors carry the CSP and the common headers", "[forged][headers]") {
  fake_host chat(chat_flow);
  INFO("the chat page");
  check_html(chat.start(fake_host::head("GET", "/a/sales/")));
  INFO("the compare page");
  check_html(chat.start(fake_host::head("GET", "/a/sales/compare")));
  INFO("a 404 page");
  auto missing = chat.start(fake_host::head("GET", "/a/nobody/"));
  CHECK(missing.status == 404);
  check_html(missing);
  INFO("an htmx error fragment");
  auto fragment = chat.start(fake_host::head("POST", "/a/sales/history", form()), "session_key=bad%20key");
  CHECK(fragment.status == 400);
  check_html(fragment);
  INFO("the forged-request refusal, as a fragment");
  auto forged = chat.start(fake_host::head("POST", "/a/sales/chat", form({{"origin", "https://evil.example"}})), "message=hi");
  CHECK(forged.status == 403);
  check_html(forged);

  fake_host otp(otp_flow);
  INFO("the privacy page");
  check_html(otp.start(fake_host::head("GET", "/a/sales/privacy")));

  fake_host summary(summary_flow);
  INFO("a transcript link that does not verify");
  auto gone = summary.start(fake_host::head("GET", "/a/sales/transcript/not-a-token"));
  CHECK(gone.status == 404);
  check_html(gone);
  CHECK(gone.header("x-robots-tag") == "noindex, nofollow");
}

TEST_CASE("headers: JSON answers and JSON errors are nosniff, no-store, same-origin referrer", "[forged][headers]") {
  fake_host chat(chat_flow);
  auto settings = chat.start(fake_host::head("GET", "/a/sales/settings"));
  CHECK(settings.status == 200);
  CHECK(settings.header("content-type") == "application/json");
  check_common(settings);
  auto refused = chat.start(fake_host::head("POST", "/a/sales/chat",
                                            {{"content-type", "application/json"}, {"accept", "application/json"},
                                             {"origin", "null"}}),
                            R"({"message":"hi"})");
  CHECK(refused.status == 403);
  CHECK(refused.header("content-type") == "application/json");
  check_common(refused);

  // Mailgun's answers from /mail/inbound.
  fake_host inbound(summary_flow, handoff_test::handoff_config(), handoff_test::handoff_env());
  auto bad = inbound.start(fake_host::head("POST", "/mail/inbound", {{"content-type", "application/x-www-form-urlencoded"}}),
                           "timestamp=1&token=x&signature=00");
  CHECK(bad.status == 406);
  check_common(bad);
}

TEST_CASE("headers: event streams and their errors are nosniff and no-store", "[forged][headers]") {
  fake_host host(stream_flow);
  auto log = host.start(fake_host::head("GET", signed_stream_url(false)));
  host.reply(log, 1, 200, R"({"status":"claimed","message":"hello","session_id":"s-1"})");
  CHECK(log.status == 200);
  CHECK(log.header("content-type") == "text/event-stream; charset=utf-8");
  check_common(log, /*referrer=*/false);  // answer_events.cpp sends no Referrer-Policy (nothing to navigate)

  fake_host refused(stream_flow);
  auto bad = refused.start(fake_host::head("GET", "/a/sales/events/stream?stream_id=x.1.y"));
  CHECK(bad.status == 400);
  CHECK(bad.header("content-type") == "text/event-stream; charset=utf-8");
  check_common(bad);
}
