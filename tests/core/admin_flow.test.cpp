// The operator's sign-in and pages (flows/admin) driven by the scripted fake host: the code
// request and check, the cookie (signed, expiring, checked against admin.emails on every
// request), CSRF on every POST, what each page asks the store, and /metrics' two ways in. The
// RPCs themselves are tests/db/admin*.test.mjs'; the pages' HTML is admin_pages.test.cpp's.
#include <catch2/catch_test_macros.hpp>

#include <regex>

#include "fake_host.h"
#include "flows/admin/admin_session.h"
#include "flows/otp/otp_codes.h"
#include "salient/flows/flows.h"

using namespace salient;
using namespace salient::testing;

namespace {

constexpr std::string_view otp_secret = "otp-test-secret-0123456789abcdefghijklmnop";
constexpr std::string_view nonce = "0123456789abcdef0123456789abcdef";

json admin_env() {
  json env = fake_host::default_env();
  env["SALIENT_OTP_SECRET"] = otp_secret;
  env["MAILGUN_API_KEY"] = "key-test";
  env["MAILGUN_DOMAIN"] = "mg.example.com";
  env["MAILGUN_BASE_URL"] = "http://mail.test";
  env["SALIENT_METRICS_TOKEN"] = "scrape-token-0123456789";
  return env;
}
json admin_config(json emails = json::array({"owner@example.com"})) {
  return {{"app", {{"name", "Brightleaf"}, {"tenant", "acme"}}}, {"admin", {{"emails", emails}}}};
}
config parsed(const json& c) { return parse_config(c.dump()).value(); }

json form_post(std::string url, std::string cookie = "") {
  json h = fake_host::head("POST", std::move(url),
                           json{{"content-type", "application/x-www-form-urlencoded"}, {"origin", "https://site.test"},
                                {"host", "site.test"}, {"sec-fetch-site", "same-origin"}});
  if (!cookie.empty()) h["headers"].push_back(json::array({"cookie", cookie}));
  h["client_ip"] = "203.0.113.7";
  return h;
}
json get(std::string url, std::string cookie = "") {
  json h = fake_host::head("GET", std::move(url));
  if (!cookie.empty()) h["headers"].push_back(json::array({"cookie", cookie}));
  return h;
}
json args(const json& effect) { return json::parse(effect["body"].get<std::string>()); }

/// A valid sign-in cookie header for `email`, made as the flow makes it.
std::string cookie_for(const json& cfg_json, std::string email, std::int64_t now = test_now_ms) {
  config cfg = parsed(cfg_json);
  admin::signed_in s = admin::new_session(otp_secret, cfg, email, now, nonce);
  std::string set = admin::set_cookie(otp_secret, cfg, s, now);
  return set.substr(0, set.find(';'));
}
std::string csrf_for(const json& cfg_json, std::string email) {
  return admin::new_session(otp_secret, parsed(cfg_json), email, test_now_ms, nonce).csrf;
}

}  // namespace

TEST_CASE("admin: a listed address gets a code of its own purpose; any other the same page and no email", "[admin]") {
  fake_host host(otp_flow, admin_config(), admin_env());
  auto listed = host.start(form_post("/admin/sign-in"), "email=Owner%40Example.com");
  REQUIRE(listed.effects.size() == 1);
  json issue = args(listed.effects[0]);
  CHECK(listed.effects[0]["url"] == "http://store.test/rest/v1/rpc/salient_otp_issue");
  CHECK(issue["p_purpose"] == "admin_sign_in");
  CHECK(issue["p_email"] == "owner@example.com");
  CHECK(issue["p_session_key"].is_null());
  CHECK(issue["p_ip_limit"] == 5);
  CHECK(issue["p_daily_cap"] == 50);
  host.reply(listed, listed.effects[0]["id"], 200, R"({"status":"issued","otp_id":"o-1"})");
  REQUIRE(listed.effects.size() == 2);
  CHECK(args(listed.effects[1])["p_kind"] == "admin_code");
  host.reply(listed, listed.effects[1]["id"], 200, R"({"email_id":"e-1"})");
  REQUIRE(listed.effects.size() == 3);
  auto mail = mail_fields(listed.effects[2]);
  CHECK(mail["to"] == "owner@example.com");
  CHECK(mail["subject"] == "Your sign-in code for the Brightleaf admin");
  std::smatch m;
  REQUIRE(std::regex_search(mail["text"], m, std::regex("\\b([0-9]{6})\\b")));
  CHECK(issue["p_code_hash"] == otp::keyed_hash(otp_secret, "code", {"acme", "admin_sign_in", "owner@example.com", "", m[1].str()}));
  // Its own address key: a visitor's codes for the same address never count against it.
  CHECK(issue["p_email_key"] == otp::keyed_hash(otp_secret, "admin-email", {"acme", "owner@example.com"}));
  CHECK(issue["p_email_key"] != otp::keyed_hash(otp_secret, "email", {"acme", "owner@example.com"}));
  host.reply(listed, listed.effects[2]["id"], 200, R"({"id":"<1@mg>","message":"Queued"})");
  host.reply(listed, listed.effects[3]["id"], 200, R"({"status":"sent"})");
  CHECK(listed.status == 200);

  auto unlisted = host.start(form_post("/admin/sign-in"), "email=someone%40example.com");
  // The same store call (counted and limited alike), then nothing sent.
  REQUIRE(unlisted.effects.size() == 1);
  CHECK(args(unlisted.effects[0])["p_purpose"] == "admin_sign_in");
  host.reply(unlisted, unlisted.effects[0]["id"], 200, R"({"status":"issued","otp_id":"o-2"})");
  CHECK(unlisted.effects.size() == 1);
  CHECK(unlisted.status == 200);
  // The same page, but for the address typed.
  std::string same = std::regex_replace(listed.body, std::regex("owner@example.com"), "someone@example.com");
  CHECK(unlisted.body == same);
}

TEST_CASE("admin: a right code sets a __Host- cookie that signs the operator in", "[admin]") {
  fake_host host(otp_flow, admin_config(), admin_env());
  auto v = host.start(form_post("/admin/verify"), "email=owner%40example.com&code=123-456");
  REQUIRE(v.effects.size() == 1);
  json verify = args(v.effects[0]);
  CHECK(verify["p_purpose"] == "admin_sign_in");
  CHECK(verify["p_code_hash"] == otp::keyed_hash(otp_secret, "code", {"acme", "admin_sign_in", "owner@example.com", "", "123456"}));
  host.reply(v, v.effects[0]["id"], 200, R"({"status":"verified"})");
  CHECK(v.status == 303);
  CHECK(v.header("location") == "/admin/");
  std::string set = v.header("set-cookie");
  CHECK(set.starts_with("__Host-salient_admin=v1."));
  for (const char* attr : {"; Path=/", "; Secure", "; HttpOnly", "; SameSite=Lax", "; Max-Age=43200"})
    CHECK(set.find(attr) != std::string::npos);
  CHECK(set.find("Domain") == std::string::npos);

  auto page = host.start(get("/admin/warnings", set.substr(0, set.find(';'))));
  REQUIRE(page.effects.size() == 1);
  CHECK(page.effects[0]["url"] == "http://store.test/rest/v1/rpc/salient_admin_warnings");
  host.reply(page, page.effects[0]["id"], 200, R"({"warnings":[]})");
  CHECK(page.status == 200);
}

TEST_CASE("admin: wrong codes and codes for unlisted addresses sign no one in", "[admin]") {
  fake_host host(otp_flow, admin_config(), admin_env());
  auto wrong = host.start(form_post("/admin/verify"), "email=owner%40example.com&code=111111");
  host.reply(wrong, wrong.effects[0]["id"], 200, R"({"status":"wrong","tries_left":2})");
  CHECK(wrong.status == 400);
  CHECK(wrong.header("set-cookie").empty());
  CHECK(wrong.body.find("2 tries left") != std::string::npos);
  // An unlisted address is checked alike (the same answers), and even a right code signs no one in.
  for (const char* answer : {R"({"status":"expired"})", R"({"status":"verified"})"}) {
    auto unlisted = host.start(form_post("/admin/verify"), "email=else%40example.com&code=111111");
    REQUIRE(unlisted.effects.size() == 1);
    host.reply(unlisted, unlisted.effects[0]["id"], 200, answer);
    CHECK(unlisted.status == (std::string(answer).find("expired") != std::string::npos ? 410 : 400));
    CHECK(unlisted.header("set-cookie").empty());
  }
}

TEST_CASE("admin: no cookie, an expired, tampered or unlisted one gets the sign-in page, never the store", "[admin]") {
  json cfg = admin_config();
  fake_host host(otp_flow, cfg, admin_env());
  std::string good = cookie_for(cfg, "owner@example.com");
  std::string expired = cookie_for(cfg, "owner@example.com", test_now_ms - 13 * 3'600'000LL);
  std::string tampered = good;
  tampered[tampered.size() - 1] = tampered.back() == '0' ? '1' : '0';
  std::string other = cookie_for(cfg, "former@example.com");
  std::string forged_email = good;  // someone else's address put into a valid cookie
  {
    std::string hex;
    for (char c : std::string("evil@example.com")) {
      static const char* d = "0123456789abcdef";
      hex += d[(unsigned char)c >> 4];
      hex += d[c & 15];
    }
    auto parts_at = forged_email.find('.', forged_email.find('.', forged_email.find('.') + 1) + 1);
    auto end = forged_email.find('.', parts_at + 1);
    forged_email.replace(parts_at + 1, end - parts_at - 1, hex);
  }
  for (const std::string& cookie : {std::string(), expired, tampered, other, forged_email, std::string("__Host-salient_admin=junk")}) {
    INFO(cookie);
    auto page = host.start(get("/admin/leads", cookie));
    CHECK(page.effects.empty());
    CHECK(page.status == 401);
    CHECK(page.body.find("name=\"email\"") != std::string::npos);  // the sign-in form
    if (!cookie.empty()) CHECK(page.header("set-cookie").find("Max-Age=0") != std::string::npos);
  }
  auto root = host.start(get("/admin/"));
  CHECK(root.status == 200);
  CHECK(root.effects.empty());
}

TEST_CASE("admin: taking an address out of admin.emails ends its access at once", "[admin]") {
  json before = admin_config(json::array({"owner@example.com", "helper@example.com"}));
  std::string cookie = cookie_for(before, "helper@example.com");
  fake_host still(otp_flow, before, admin_env());
  CHECK(still.start(get("/admin/config", cookie)).status == 200);
  fake_host after(otp_flow, admin_config(), admin_env());
  CHECK(after.start(get("/admin/config", cookie)).status == 401);
  // A cookie made under a longer admin.session_hours ends when the current setting says.
  json longer = admin_config();
  longer["admin"]["session_hours"] = 48;
  CHECK(after.start(get("/admin/config", cookie_for(longer, "owner@example.com"))).status == 401);
  CHECK(after.start(get("/admin/config", cookie_for(admin_config(), "owner@example.com"))).status == 200);
}

TEST_CASE("admin: every POST needs the session's CSRF token", "[admin]") {
  json cfg = admin_config();
  fake_host host(otp_flow, cfg, admin_env());
  std::string cookie = cookie_for(cfg, "owner@example.com");
  std::string id = "0190a000-0000-7000-8000-000000000001";
  for (std::string body : {std::string("status=contacted"), std::string("status=contacted&csrf=") + std::string(64, 'a')}) {
    auto refused = host.start(form_post("/admin/leads/" + id, cookie), body);
    CHECK(refused.status == 403);
    CHECK(refused.effects.empty());
  }
  auto erase = host.start(form_post("/admin/erase", cookie), "email=v%40example.com");
  CHECK(erase.status == 403);
  CHECK(erase.effects.empty());
  // A cross-site post is refused before the token is even read.
  json cross = form_post("/admin/leads/" + id, cookie);
  cross["headers"] = json::array({json::array({"content-type", "application/x-www-form-urlencoded"}),
                                  json::array({"origin", "https://evil.test"}), json::array({"cookie", cookie})});
  CHECK(host.start(cross, "status=won&csrf=" + csrf_for(cfg, "owner@example.com")).status == 403);

  auto ok = host.start(form_post("/admin/leads/" + id, cookie),
                       "status=contacted&notes=Called%20back&return_to=conversation&csrf=" + csrf_for(cfg, "owner@example.com"));
  REQUIRE(ok.effects.size() == 1);
  json update = args(ok.effects[0]);
  CHECK(update["p_session_id"] == id);
  CHECK(update["p_status"] == "contacted");
  CHECK(update["p_notes"] == "Called back");
  CHECK(update["p_by"] == "owner@example.com");
  host.reply(ok, ok.effects[0]["id"], 200, R"({"status":"updated","lead":{"status":"contacted"}})");
  CHECK(ok.status == 303);
  CHECK(ok.header("location") == "/admin/conversations/" + id);
}

TEST_CASE("admin: the pages ask the store what they show", "[admin]") {
  json cfg = admin_config();
  fake_host host(otp_flow, cfg, admin_env());
  std::string cookie = cookie_for(cfg, "owner@example.com");
  auto list = host.start(get("/admin/conversations?q=50%25+off&outcome=LEAD&before=1763700000000", cookie));
  REQUIRE(list.effects.size() == 1);
  json q = args(list.effects[0]);
  CHECK(q["p_query"] == "50% off");
  CHECK(q["p_outcome"] == "LEAD");
  CHECK(q["p_before_ms"] == 1763700000000LL);
  host.reply(list, list.effects[0]["id"], 200, R"({"conversations":[],"next_before_ms":null})");
  CHECK(list.status == 200);

  auto bad_id = host.start(get("/admin/conversations/not-a-uuid", cookie));
  CHECK(bad_id.effects.empty());
  CHECK(bad_id.status == 404);
  auto gone = host.start(get("/admin/conversations/0190a000-0000-7000-8000-000000000001", cookie));
  host.reply(gone, gone.effects[0]["id"], 200, R"({"status":"not_found"})");
  CHECK(gone.status == 404);

  auto csv = host.start(get("/admin/leads.csv", cookie));
  host.reply(csv, csv.effects[0]["id"], 200, R"({"leads":[{"session_id":"0190a000-0000-7000-8000-000000000001","name":"=cmd","status":"new"}]})");
  CHECK(csv.status == 200);
  CHECK(csv.header("content-type").starts_with("text/csv"));
  CHECK(csv.header("content-disposition").find("attachment") != std::string::npos);
  CHECK(csv.body.find("'=cmd") != std::string::npos);

  auto yaml = host.start(get("/admin/config.yaml", cookie));
  CHECK(yaml.effects.empty());
  CHECK(yaml.status == 200);
  CHECK(yaml.body.find("owner@example.com") != std::string::npos);
  auto config_page = host.start(get("/admin/config", cookie));
  CHECK(config_page.body.find(std::string(otp_secret)) == std::string::npos);
  CHECK(config_page.body.find("scrape-token") == std::string::npos);

  auto failing = host.start(get("/admin/leads", cookie));
  host.reply(failing, failing.effects[0]["id"], 503, R"({"message":"down"})");
  CHECK(failing.status == 503);
}

TEST_CASE("admin: /metrics takes a signed-in operator or the scrapers' bearer token, nothing else", "[admin]") {
  json cfg = admin_config();
  fake_host host(otp_flow, cfg, admin_env());
  json bare = get("/metrics");
  auto refused = host.start(bare);
  CHECK(refused.status == 401);
  CHECK(refused.effects.empty());
  CHECK(refused.header("www-authenticate").starts_with("Bearer"));
  json wrong = get("/metrics");
  wrong["headers"].push_back(json::array({"authorization", "Bearer scrape-token-0123456780"}));
  CHECK(host.start(wrong).status == 401);

  json bearer = get("/metrics");
  bearer["headers"].push_back(json::array({"authorization", "Bearer scrape-token-0123456789"}));
  bearer["instance_metrics"] = {{"instance", "i-1"}, {"started_ms", test_now_ms - 1000},
                                {"requests", json::array({{{"module", "chat"}, {"route", "/a/{agent}/chat"}, {"status", 200}, {"count", 3}}})}};
  auto text = host.start(bearer);
  REQUIRE(text.effects.size() == 1);
  CHECK(text.effects[0]["url"] == "http://store.test/rest/v1/rpc/salient_admin_metrics");
  host.reply(text, text.effects[0]["id"], 200,
             R"({"llm":[{"agent":"sales","model":"m/x","requests":2,"prompt_tokens":10,"completion_tokens":5,"cost_usd":0.5}],"emails":[],"conversations":4,"messages":9,"leads":1,"handoffs":[]})");
  CHECK(text.status == 200);
  CHECK(text.header("content-type").starts_with("text/plain; version=0.0.4"));
  CHECK(text.body.find("salient_conversations_total") != std::string::npos);
  CHECK(text.body.find("instance=\"i-1\"") != std::string::npos);

  json as_json = get("/metrics?format=json", cookie_for(cfg, "owner@example.com"));
  auto j = host.start(as_json);
  host.reply(j, j.effects[0]["id"], 200, R"({"conversations":4})");
  CHECK(j.status == 200);
  CHECK(j.header("content-type") == "application/json");
  CHECK(json::parse(j.body).is_object());
}

TEST_CASE("admin: the host's log flush stores its lines; no visitor can send one", "[admin]") {
  fake_host host(otp_flow, admin_config(), admin_env());
  json flush = fake_host::head("POST", "/internal/log-flush", json{{"content-type", "application/json"}});
  flush["log_flush"] = true;
  auto run = host.start(flush, R"([{"ts_ms":1,"level":"warn","event":"x","module":"chat","fields":{}}])");
  REQUIRE(run.effects.size() == 1);
  CHECK(run.effects[0]["url"] == "http://store.test/rest/v1/rpc/salient_log_append");
  CHECK(args(run.effects[0])["p_lines"].size() == 1);
  host.reply(run, run.effects[0]["id"], 200, R"({"stored":1})");
  CHECK(run.status == 200);
  json visitor = fake_host::head("POST", "/internal/log-flush", json{{"content-type", "application/json"}});
  auto refused = host.start(visitor, "[]");
  CHECK(refused.effects.empty());
  CHECK(refused.status == 404);
}
