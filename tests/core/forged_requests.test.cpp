// Forged requests (issue 19): every state-changing route of the four functions against every way
// a page on another site can post to it. A refused request is a 403 that reached no upstream
// (not even the store); an accepted one goes on to its first store call. The routes named in
// chat_input::origin_exemptions are exempt because a signature authenticates them, and are
// tested as such: a cross-site Origin does not matter to them, a missing signature does.
#include <catch2/catch_test_macros.hpp>

#include <set>

#include "handoff_support.h"
#include "http/chat_input.h"

using namespace salient;
using namespace salient::testing;
using namespace handoff_test;

namespace {

constexpr std::string_view otp_secret = "otp-test-secret-0123456789abcdefghijklmnop";
constexpr const char* site = "shop.example";              // the Host every browser variant names
constexpr const char* listed = "https://widget.example";  // in app.allowed_origins

/// One configuration and environment that every function can run every route with: a team
/// (handoff), a sales recipient (summary), Mailgun and the code secret (otp), a listed origin.
json forged_config() {
  json cfg = handoff_config();
  cfg["app"]["allowed_origins"] = json::array({listed});
  cfg["email"] = {{"sales_recipient", "sales@brightleaf.example"}};
  return cfg;
}
json forged_env() {
  json env = handoff_env();
  env["SALIENT_OTP_SECRET"] = otp_secret;
  env["SALIENT_PUBLIC_URL"] = "https://shop.example/";
  return env;
}

struct route_case {
  const char* name;
  function_entry entry;
  const char* path;
  const char* body;  // a form body (a simple request: no preflight stands in the forger's way)
};

// Every POST route that the Origin check guards. /mail/inbound is not here: it is exempt by
// name (checked below). The stream is a GET (its single use is tested further down).
const route_case routes[] = {
    {"chat", chat_flow, "/a/sales/chat", "message=hi&session_key=visitor-0001"},
    {"history", chat_flow, "/a/sales/history", "session_key=visitor-0001"},
    {"sessions", chat_flow, "/a/sales/sessions", "session_keys=visitor-0001"},
    {"identify", chat_flow, "/a/sales/identify", "session_key=visitor-0001&name=Ann"},
    {"updates", chat_flow, "/a/sales/updates", "session_key=visitor-0001"},
    {"summary", summary_flow, "/a/sales/summary", "session_key=visitor-0001"},
    {"handoff", summary_flow, "/a/sales/handoff", "session_key=visitor-0001"},
    {"otp request", otp_flow, "/otp/request", "email=ann%40example.com&purpose=delete_data"},
    {"otp verify", otp_flow, "/otp/verify", "email=ann%40example.com&purpose=delete_data&code=123456"},
};

struct variant {
  const char* name;
  json headers;  // besides the content type
  bool accepted;
};

const std::vector<variant>& variants() {
  static const std::vector<variant> v = {
      {"cross-site Origin", {{"host", site}, {"origin", "https://evil.example"}}, false},
      {"cross-site Origin, Sec-Fetch-Site cross-site",
       {{"host", site}, {"origin", "https://evil.example"}, {"sec-fetch-site", "cross-site"}}, false},
      // A sibling subdomain is same-site to the browser, but not this origin.
      {"sibling subdomain", {{"host", site}, {"origin", "https://blog.shop.example"}, {"sec-fetch-site", "same-site"}},
       false},
      {"Origin null alone", {{"host", site}, {"origin", "null"}}, false},
      {"Origin null, cross-site", {{"host", site}, {"origin", "null"}, {"sec-fetch-site", "cross-site"}}, false},
      {"Origin null, same-site", {{"host", site}, {"origin", "null"}, {"sec-fetch-site", "same-site"}}, false},
      {"no Origin, cross-site", {{"host", site}, {"sec-fetch-site", "cross-site"}}, false},
      {"listed origin", {{"host", site}, {"origin", listed}, {"sec-fetch-site", "cross-site"}}, true},
      {"same origin", {{"host", site}, {"origin", "https://shop.example"}, {"sec-fetch-site", "same-origin"}}, true},
      // The site's own form under a no-referrer policy: the browser vouches same-origin.
      {"Origin null, same-origin", {{"host", site}, {"origin", "null"}, {"sec-fetch-site", "same-origin"}}, true},
      {"non-browser client (no Origin, no Sec-Fetch-*)", {{"host", site}}, true},
  };
  return v;
}

json head_for(const std::string& method, const std::string& path, json headers) {
  headers["content-type"] = "application/x-www-form-urlencoded";
  headers["accept"] = "application/json";
  return fake_host::head(method, path, std::move(headers));
}

}  // namespace

TEST_CASE("forged: every guarded route refuses each cross-site variant before any upstream", "[forged]") {
  int refused = 0, accepted = 0;
  for (const route_case& r : routes) {
    for (const variant& v : variants()) {
      INFO(r.name << " × " << v.name);
      fake_host host(r.entry, forged_config(), forged_env());
      auto log = host.start(head_for("POST", r.path, v.headers), r.body);
      if (v.accepted) {
        // Past the check: the route's first call is to the store (no model, no Mailgun first).
        REQUIRE_FALSE(log.effects.empty());
        CHECK(log.effects.front()["url"].get<std::string>().rfind("http://store.test/rest/v1/rpc/", 0) == 0);
        CHECK(log.status == 0);  // nothing answered yet: the store has not replied
        ++accepted;
      } else {
        CHECK(log.effects.empty());
        CHECK(log.status == 403);
        CHECK(log.body.find("cross-site") != std::string::npos);
        CHECK(log.done);
        ++refused;
      }
    }
  }
  CHECK(refused == 7 * static_cast<int>(std::size(routes)));
  CHECK(accepted == 4 * static_cast<int>(std::size(routes)));
}

TEST_CASE("forged: the gate refuses any unsafe method on any path of any function, not only the routes'", "[forged]") {
  // A route added later without check_post, a method a route does not take, a path with no
  // route: a cross-site request is refused before the function's routing sees it.
  const json evil{{"host", site}, {"origin", "https://evil.example"}};
  for (function_entry entry : {chat_flow, stream_flow, otp_flow, summary_flow}) {
    for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
      for (const char* path : {"/a/sales/chat", "/a/sales/events/stream", "/a/sales/privacy", "/a/sales/new-route", "/x"}) {
        INFO(method << " " << path);
        fake_host host(entry, forged_config(), forged_env());
        auto log = host.start(head_for(method, path, evil), "a=b");
        CHECK(log.effects.empty());
        CHECK(log.status == 403);
      }
    }
  }
  // Safe methods are not state-changing: a cross-site GET of the page is answered (CORS keeps
  // its body from the other site's script).
  fake_host host(chat_flow, forged_config(), forged_env());
  auto page = host.start(fake_host::head("GET", "/a/sales/", evil));
  CHECK(page.status == 200);
}

TEST_CASE("forged: the exemptions are named, and each is authenticated by a signature", "[forged]") {
  std::set<std::string> named;
  for (const auto& e : chat_input::origin_exemptions) {
    CHECK_FALSE(e.authenticated_by.empty());
    named.insert(std::string(e.method) + " " + std::string(e.path));
  }
  CHECK(named == std::set<std::string>{"POST /mail/inbound"});
  request req;
  req.method = "POST";
  req.path = "/mail/inbound";
  CHECK(chat_input::origin_exemption_for(req) != nullptr);
  req.path = "/mail/inbound/x";
  CHECK(chat_input::origin_exemption_for(req) == nullptr);
  req.path = "/a/sales/chat";
  CHECK(chat_input::origin_exemption_for(req) == nullptr);
}

TEST_CASE("forged: /mail/inbound with a cross-site Origin but a valid signature is accepted", "[forged][inbound]") {
  // Mailgun is no browser, but nothing stops a forger from adding browser headers to a signed
  // post: the signature is what counts, so the headers change nothing.
  fake_host host(summary_flow, forged_config(), forged_env());
  reply_mail m;
  auto f = fields_of(m);
  std::string body;
  for (const auto& [k, v] : f) body += (body.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v);
  for (const json& extra : {json{{"origin", "https://evil.example"}, {"sec-fetch-site", "cross-site"}},
                            json{{"origin", "null"}}, json::object()}) {
    INFO(extra.dump());
    json headers = extra;
    headers["content-type"] = "application/x-www-form-urlencoded";
    auto log = host.start(fake_host::head("POST", "/mail/inbound", headers), body);
    REQUIRE_FALSE(log.effects.empty());  // past the signature: the token is taken first
    CHECK(log.effects.front()["url"] == rpc("salient_inbound_token_take"));
  }
}

TEST_CASE("forged: /mail/inbound without a valid signature is refused, whatever the Origin", "[forged][inbound]") {
  for (const json& extra : {json{{"origin", "https://shop.example"}, {"host", site}, {"sec-fetch-site", "same-origin"}},
                            json::object()}) {
    fake_host host(summary_flow, forged_config(), forged_env());
    reply_mail wrong;
    wrong.signature = std::string(64, '0');
    auto f = fields_of(wrong);
    std::string body, unsigned_body;
    for (const auto& [k, v] : f) {
      std::string pair = percent_encode(k) + "=" + percent_encode(v);
      body += (body.empty() ? "" : "&") + pair;
      if (k != "signature") unsigned_body += (unsigned_body.empty() ? "" : "&") + pair;
    }
    json headers = extra;
    headers["content-type"] = "application/x-www-form-urlencoded";
    auto bad = host.start(fake_host::head("POST", "/mail/inbound", headers), body);
    CHECK(bad.status == 406);
    CHECK(bad.effects.empty());
    CHECK(json::parse(bad.body)["error"]["code"] == "bad_signature");
    auto none = host.start(fake_host::head("POST", "/mail/inbound", headers), unsigned_body);
    CHECK(none.status == 406);  // no signature field: malformed, and Mailgun must not retry it
    CHECK(none.effects.empty());
  }
  // Without the signing key the route takes nothing (503: Mailgun retries once it is set).
  json env = forged_env();
  env.erase("MAILGUN_WEBHOOK_SIGNING_KEY");
  fake_host unset(summary_flow, forged_config(), env);
  reply_mail m;
  auto f = fields_of(m);
  std::string body;
  for (const auto& [k, v] : f) body += (body.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v);
  auto log = unset.start(fake_host::head("POST", "/mail/inbound", json{{"content-type", "application/x-www-form-urlencoded"}}),
                         body);
  CHECK(log.status == 503);
  CHECK(log.effects.empty());
}

// ---- stream ids: single use, never a second model call -----------------------------------------

namespace {

bool any_model_call(const exchange_log& log) {
  for (const json& e : log.effects)
    if (e["url"].get<std::string>().rfind("http://llm.test/", 0) == 0) return true;
  return false;
}

}  // namespace

TEST_CASE("forged: a second GET of a stream id is 410 and asks no model", "[forged][stream]") {
  fake_host host(stream_flow, json::object(), llm_test_env());
  auto log = host.start(fake_host::head("GET", signed_stream_url()));
  REQUIRE(log.effects.size() == 1);
  CHECK(log.last_effect()["url"] == "http://store.test/rest/v1/rpc/salient_claim_turn");
  host.reply(log, 1, 200, R"({"status":"already_claimed"})");
  CHECK(log.status == 410);
  CHECK(log.effects.size() == 1);
  CHECK_FALSE(any_model_call(log));
  CHECK(log.done);
}

TEST_CASE("forged: a resume (Last-Event-ID) replays the stored text and asks no model", "[forged][stream]") {
  fake_host host(stream_flow, json::object(), llm_test_env());
  auto log = host.start(fake_host::head("GET", signed_stream_url(), json{{"last-event-id", "2-3"}}));
  REQUIRE(log.effects.size() == 1);
  CHECK(log.last_effect()["url"] == "http://store.test/rest/v1/rpc/salient_turn_answer");
  host.reply(log, 1, 200, R"({"status":"answered","message_id":"m-1","content":"Hello there.","metadata":{"mode":"llm"}})");
  CHECK(log.status == 200);
  CHECK(log.done);
  CHECK(log.effects.size() == 1);
  CHECK_FALSE(any_model_call(log));
  std::string text;
  for (const auto& e : parse_sse(log.body))
    if (e.event == "token") text += json::parse(e.data)["text"].get<std::string>();
  CHECK(text == "lo there.");
}

TEST_CASE("forged: an expired, tampered or other agent's stream id asks nothing of anyone", "[forged][stream]") {
  std::string good = signed_stream_url();
  std::string tampered = good;
  std::size_t sig = tampered.find("&format");
  char& c = tampered[sig - 2];
  c = c == 'A' ? 'B' : 'A';
  std::string expired = "/a/sales/events/stream?stream_id=" +
                        percent_encode(sign_stream_id(test_secret, "sales", test_turn, test_now_ms / 1000 - 700));
  std::string other = "/a/support/events/stream?stream_id=" +
                      percent_encode(sign_stream_id(test_secret, "sales", test_turn, test_now_ms / 1000 + 60));
  for (const std::string& url : {tampered, expired, other}) {
    for (bool resume : {false, true}) {
      INFO(url << (resume ? " (resume)" : ""));
      fake_host host(stream_flow, json{{"agents", {{"sales", json::object()}, {"support", json::object()}}}},
                     llm_test_env());
      auto log = host.start(fake_host::head("GET", url, resume ? json{{"last-event-id", "2-3"}} : json::object()));
      CHECK(log.effects.empty());
      CHECK(log.status == 401);
    }
  }
}
