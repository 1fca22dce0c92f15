// The otp function driven by the scripted fake host: the store calls and the Mailgun request it
// makes, in order, what is stored (codes masked) and what the visitor is told. The rules of
// codes themselves (expiry, tries, windows) are the SQL functions' (tests/db/otp.test.mjs).
#include <catch2/catch_test_macros.hpp>

#include <regex>

#include "fake_host.h"
#include "flows/otp/otp_codes.h"
#include "salient/flows/flows.h"

using namespace salient;
using namespace salient::testing;

namespace {

constexpr std::string_view otp_secret = "otp-test-secret-0123456789abcdefghijklmnop";

json otp_env() {
  json env = fake_host::default_env();
  env["SALIENT_OTP_SECRET"] = otp_secret;
  env["MAILGUN_API_KEY"] = "key-test";
  env["MAILGUN_DOMAIN"] = "mg.example.com";
  env["MAILGUN_BASE_URL"] = "http://mail.test";
  return env;
}
json otp_config() { return {{"app", {{"name", "Brightleaf <Gardens>"}, {"tenant", "acme"}}}}; }

json json_post(std::string ip = "203.0.113.7") {
  json h = fake_host::head("POST", "/otp/request", json{{"content-type", "application/json"}, {"accept", "application/json"}});
  h["client_ip"] = ip;
  return h;
}
json at(json head, std::string url) {
  head["url"] = std::move(url);
  return head;
}
json args(const json& effect) { return json::parse(effect["body"].get<std::string>()); }


std::string code_in(const std::string& text) {
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex("\\b([0-9]{6})\\b")));
  return m[1];
}

const char* link_body = R"({"email":"  Ada@Example.COM ","purpose":"link_session","session_key":"visitor-0001"})";

/// Runs a request through issue → queue → Mailgun → result, with `mailgun` as Mailgun's answer.
struct sent_request {
  exchange_log log;
  json issue, queue, result;
  std::map<std::string, std::string> mail;
};
sent_request request_code(fake_host& host, std::string body, std::string issued, int mailgun_status = 200,
                          std::string mailgun_body = R"({"id":"<1@mg.example.com>","message":"Queued. Thank you."})",
                          header_list mailgun_headers = {{"content-type", "application/json"}}) {
  sent_request s{host.start(json_post(), std::move(body)), {}, {}, {}, {}};
  REQUIRE(s.log.effects.size() == 1);
  s.issue = s.log.effects[0];
  REQUIRE(s.issue["url"] == "http://store.test/rest/v1/rpc/salient_otp_issue");
  host.reply(s.log, s.issue["id"], 200, std::move(issued));
  if (s.log.effects.size() == 1) return s;  // refused before any email
  s.queue = s.log.effects[1];
  REQUIRE(s.queue["url"] == "http://store.test/rest/v1/rpc/salient_email_queue");
  host.reply(s.log, s.queue["id"], 200, R"({"email_id":"e-1"})");
  REQUIRE(s.log.effects.size() == 3);
  const json& mail = s.log.effects[2];
  CHECK(mail["url"] == "http://mail.test/v3/mg.example.com/messages");
  s.mail = mail_fields(mail);
  host.reply(s.log, mail["id"], mailgun_status, std::move(mailgun_body), std::move(mailgun_headers));
  REQUIRE(s.log.effects.size() == 4);
  s.result = s.log.effects[3];
  REQUIRE(s.result["url"] == "http://store.test/rest/v1/rpc/salient_email_result");
  host.reply(s.log, s.result["id"], 200, R"({"status":"sent"})");
  return s;
}

}  // namespace

TEST_CASE("otp: a code is made, stored only as its keyed hash, sent, and its stored copy masked", "[otp]") {
  fake_host host(otp_flow, otp_config(), otp_env());
  auto s = request_code(host, link_body, R"({"status":"issued","otp_id":"o-1","session_id":"s-1"})");
  json issue = args(s.issue);
  CHECK(issue["p_email"] == "ada@example.com");  // trimmed, lower-cased
  CHECK(issue["p_purpose"] == "link_session");
  CHECK(issue["p_session_key"] == "visitor-0001");
  CHECK(issue["p_email_key"] == otp::keyed_hash(otp_secret, "email", {"acme", "ada@example.com"}));
  CHECK(issue["p_ip_key"] == otp::keyed_hash(otp_secret, "ip", {"acme", "203.0.113.7"}));
  CHECK(issue["p_now_ms"] == test_now_ms);
  CHECK(issue.dump().find("203.0.113.7") == std::string::npos);

  std::string code = code_in(s.mail["text"]);
  CHECK(issue["p_code_hash"] ==
        otp::keyed_hash(otp_secret, "code", {"acme", "link_session", "ada@example.com", "visitor-0001", code}));
  CHECK(s.mail["to"] == "ada@example.com");
  CHECK(s.mail["from"] == R"("Brightleaf <Gardens>" <noreply@mg.example.com>)");
  CHECK(s.mail["html"].find(code) != std::string::npos);
  CHECK(s.mail["o:tag"] == "otp-code");

  json stored = args(s.queue);
  CHECK(stored["p_kind"] == "otp_code");
  CHECK(stored["p_otp_id"] == "o-1");
  CHECK(stored["p_session_id"] == "s-1");
  CHECK(stored["p_text"].get<std::string>().find(code) == std::string::npos);
  CHECK(stored["p_html"].get<std::string>().find(code) == std::string::npos);
  CHECK(stored["p_text"].get<std::string>().find(otp::masked_code) != std::string::npos);

  json result = args(s.result);
  CHECK(result["p_status"] == "sent");
  CHECK(result["p_provider_id"] == "<1@mg.example.com>");
  CHECK(s.log.status == 200);
  CHECK(json::parse(s.log.body)["status"] == "sent");
  for (const json& line : s.log.logs) {
    CHECK(line.dump().find(code) == std::string::npos);
    CHECK(line.dump().find("ada@") == std::string::npos);
  }
}

TEST_CASE("otp: known and unknown addresses get the same answer for delete_data", "[otp]") {
  fake_host host(otp_flow, otp_config(), otp_env());
  const char* body = R"({"email":"ada@example.com","purpose":"delete_data"})";
  auto known = request_code(host, body, R"({"status":"issued","otp_id":"o-1","session_id":null})");
  auto unknown = request_code(host, body, R"({"status":"nothing_held"})");
  CHECK(known.log.status == unknown.log.status);
  CHECK(known.log.body == unknown.log.body);
  CHECK(unknown.mail["text"].find("nothing") != std::string::npos);
  CHECK_FALSE(std::regex_search(unknown.mail["text"], std::regex("\\b[0-9]{6}\\b")));
  CHECK(args(unknown.queue)["p_kind"] == "nothing_held");
}

TEST_CASE("otp: a failed send is recorded failed and the visitor told to try again", "[otp]") {
  fake_host host(otp_flow, otp_config(), otp_env());
  auto s = request_code(host, link_body, R"({"status":"issued","otp_id":"o-1","session_id":"s-1"})", 429,
                        R"({"message":"Too many requests"})",
                        {{"content-type", "application/json"}, {"retry-after", "30"}});
  CHECK(args(s.result)["p_status"] == "failed");
  CHECK(args(s.result)["p_provider_response"]["status"] == 429);
  CHECK(s.log.status == 503);
  CHECK(s.log.header("retry-after") == "30");
  CHECK(json::parse(s.log.body)["error"]["code"] == "send_failed");

  auto down = request_code(host, link_body, R"({"status":"issued","otp_id":"o-2","session_id":"s-1"})", 500, "{}");
  CHECK(down.log.status == 503);
  auto bad_key = request_code(host, link_body, R"({"status":"issued","otp_id":"o-3","session_id":"s-1"})", 401,
                              R"({"message":"Invalid private key"})");
  CHECK(bad_key.log.status == 500);
  CHECK(json::parse(bad_key.log.body)["error"]["message"] == "email is not configured correctly yet");
}

TEST_CASE("otp: Mailgun timing out (unknown) or refusing the request (failed) is no send", "[otp]") {
  fake_host host(otp_flow, otp_config(), otp_env());
  for (bool timeout : {true, false}) {
    auto log = host.start(json_post(), link_body);
    host.reply(log, log.effects[0]["id"], 200, R"({"status":"issued","otp_id":"o-1","session_id":"s-1"})");
    host.reply(log, log.effects[1]["id"], 200, R"({"email_id":"e-1"})");
    if (timeout) host.fail(log, log.effects[2]["id"], effect_failure_kind::timeout);
    else host.reply(log, log.effects[2]["id"], 400, R"({"message":"'to' parameter is not a valid address"})");
    REQUIRE(log.effects.size() == 4);
    json outcome = args(log.effects[3]);
    // A request that left unanswered may have reached Mailgun: recorded as such, the code invalid all the same.
    CHECK(outcome["p_status"] == (timeout ? "unknown" : "failed"));
    CHECK(outcome["p_provider_id"].is_null());
    host.reply(log, log.effects[3]["id"], 200, R"({"status":"failed"})");
    CHECK(log.status == 503);
    CHECK(json::parse(log.body)["error"]["code"] == "send_failed");
  }
}

TEST_CASE("otp: limits answer 429 with Retry-After before any email", "[otp]") {
  fake_host host(otp_flow, otp_config(), otp_env());
  auto s = request_code(host, link_body, R"({"status":"limited","limit":"email","retry_after":600})");
  CHECK(s.log.effects.size() == 1);
  CHECK(s.log.status == 429);
  CHECK(s.log.header("retry-after") == "600");
  CHECK(json::parse(s.log.body)["error"]["code"] == "rate_limited");
}

TEST_CASE("otp: verify answers each outcome in the chat's error shapes", "[otp]") {
  fake_host host(otp_flow, otp_config(), otp_env());
  auto verify = [&](std::string answer) {
    auto log = host.start(at(json_post(), "/otp/verify"),
                          R"({"email":"ada@example.com","code":"123 456","purpose":"link_session","session_key":"visitor-0001"})");
    REQUIRE(log.effects.size() == 1);
    json a = args(log.effects[0]);
    CHECK(a["p_code_hash"] ==
          otp::keyed_hash(otp_secret, "code", {"acme", "link_session", "ada@example.com", "visitor-0001", "123456"}));
    CHECK(a["p_consent_version"] == otp::link_consent_version);
    CHECK(a.dump().find("123456") == std::string::npos);
    host.reply(log, log.effects[0]["id"], 200, std::move(answer));
    return log;
  };
  auto wrong = verify(R"({"status":"wrong","tries_left":2})");
  CHECK(wrong.status == 400);
  CHECK(json::parse(wrong.body)["error"] == json{{"code", "wrong_code"}, {"message", "that code is not right; 2 tries left"}});
  CHECK(verify(R"({"status":"expired"})").status == 410);
  auto dead = verify(R"({"status":"dead"})");
  CHECK(dead.status == 429);
  CHECK(json::parse(dead.body)["error"]["code"] == "too_many_tries");
  auto locked = verify(R"({"status":"locked","retry_after":86400})");
  CHECK(locked.status == 429);
  CHECK(locked.header("retry-after") == "86400");
  auto ok = verify(R"({"status":"verified","session_keys":["visitor-0001","visitor-0002"],
    "profile":{"customer_name":"Ada","email":"ada@example.com","phone":null,"products_of_interest":["patio"],
               "services_of_interest":[],"verified":true}})");
  CHECK(ok.status == 200);
  json body = json::parse(ok.body);
  CHECK(body["session_keys"] == json::array({"visitor-0001", "visitor-0002"}));
  CHECK(body["profile"]["verified"] == true);
}

TEST_CASE("otp: an erasure is confirmed by email, its stored copy naming no one", "[otp]") {
  fake_host host(otp_flow, otp_config(), otp_env());
  auto log = host.start(at(json_post(), "/otp/verify"), R"({"email":"ada@example.com","code":"123456","purpose":"delete_data"})");
  host.reply(log, log.effects[0]["id"], 200,
             R"({"status":"erased","counts":{"sessions":2,"messages":7,"summaries":0,"profiles":1,"emails":3}})");
  REQUIRE(log.effects.size() == 2);
  json stored = args(log.effects[1]);
  CHECK(stored["p_to"] == "(erased visitor)");
  CHECK(stored["p_kind"] == "data_erased");
  CHECK(stored.dump().find("ada@") == std::string::npos);
  host.reply(log, log.effects[1]["id"], 200, R"({"email_id":"e-9"})");
  CHECK(mail_fields(log.effects[2])["to"] == "ada@example.com");
  host.reply(log, log.effects[2]["id"], 200, R"({"id":"<2@mg>","message":"Queued. Thank you."})");
  host.reply(log, log.effects[3]["id"], 200, R"({"status":"sent"})");
  CHECK(log.status == 200);
  CHECK(json::parse(log.body)["erased"]["messages"] == 7);
}

TEST_CASE("otp: bad input and cross-site posts are refused before the store is asked", "[otp]") {
  fake_host host(otp_flow, otp_config(), otp_env());
  auto refused = [&](json head, std::string body) {
    auto log = host.start(head, std::move(body));
    CHECK(log.effects.empty());
    return log;
  };
  CHECK(refused(json_post(), R"({"email":"not-an-address","purpose":"link_session","session_key":"visitor-0001"})").status == 400);
  CHECK(refused(json_post(), "{\"email\":\"a@b.com\\r\\nBcc: x@evil.com\",\"purpose\":\"delete_data\"}").status == 400);
  CHECK(refused(json_post(), R"({"email":"a@b.com","purpose":"everything"})").status == 400);
  CHECK(refused(json_post(), R"({"email":"a@b.com","purpose":"link_session"})").status == 400);
  CHECK(refused(at(json_post(), "/otp/verify"), R"({"email":"a@b.com","purpose":"delete_data","code":"12345x"})").status == 400);
  json cross = json_post();
  cross["headers"].push_back(json::array({"origin", "https://evil.example"}));
  CHECK(refused(cross, R"({"email":"a@b.com","purpose":"delete_data"})").status == 403);
  CHECK(refused(at(fake_host::head("GET", "/otp/request"), "/otp/request"), "").status == 405);

  fake_host unset(otp_flow, otp_config(), fake_host::default_env());
  auto log = unset.start(json_post(), R"({"email":"a@b.com","purpose":"delete_data"})");
  CHECK(log.status == 500);
  CHECK(log.body.find("SALIENT_OTP_SECRET") == std::string::npos);  // in the log, not the answer
}

TEST_CASE("otp: codes are 6 uniform digits; typed codes tolerate spaces", "[otp]") {
  entropy rng{""};
  std::array<int, 10> first{};
  for (int i = 0; i < 2000; ++i) {
    std::string c = otp::new_code(rng);
    REQUIRE(c.size() == 6);
    REQUIRE(c.find_first_not_of("0123456789") == std::string::npos);
    ++first[static_cast<std::size_t>(c[0] - '0')];
  }
  for (int n : first) CHECK(n > 120);  // ~200 each
  CHECK(otp::read_code("123 456") == "123456");
  CHECK(otp::read_code("123-456") == "123456");
  CHECK_FALSE(otp::read_code("1234567"));
  CHECK_FALSE(otp::read_code("12345"));
  CHECK_FALSE(otp::read_code("12345a"));
  CHECK(otp::keyed_hash("k", "code", {"ab", "c"}) != otp::keyed_hash("k", "code", {"a", "bc"}));
}

TEST_CASE("otp: the per-IP limit counts IPv6 clients by their /64", "[otp]") {
  CHECK(otp::ip_for_limits("203.0.113.7") == "203.0.113.7");
  CHECK(otp::ip_for_limits("2001:DB8:0:1:aaaa::1") == "2001:db8:0:1::/64");
  CHECK(otp::ip_for_limits("2001:db8:0000:0001:ffff:1:2:3") == "2001:db8:0:1::/64");
  CHECK(otp::ip_for_limits("2001:db8::1") == "2001:db8:0:0::/64");
  CHECK(otp::ip_for_limits("::1") == "0:0:0:0::/64");
  CHECK(otp::ip_for_limits("::ffff:203.0.113.7") == "203.0.113.7");  // IPv4-mapped: the IPv4 client
  CHECK(otp::ip_for_limits("::FFFF:198.51.100.2") != otp::ip_for_limits("::ffff:203.0.113.7"));
  fake_host host(otp_flow, otp_config(), otp_env());
  auto log = host.start(json_post("2001:db8:0:1:dead:beef::7"), link_body);
  CHECK(args(log.effects[0])["p_ip_key"] == otp::keyed_hash(otp_secret, "ip", {"acme", "2001:db8:0:1::/64"}));
}

TEST_CASE("otp: the privacy page is served per agent", "[otp]") {
  fake_host host(otp_flow, otp_config(), otp_env());
  auto page = host.start(fake_host::head("GET", "/a/sales/privacy"));
  CHECK(page.status == 200);
  CHECK(page.body.find("/otp/request") != std::string::npos);
  CHECK(page.body.find("Brightleaf &lt;Gardens&gt;") != std::string::npos);
  CHECK(host.start(fake_host::head("GET", "/a/nobody/privacy")).status == 404);
}
