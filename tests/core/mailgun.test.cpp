// Mailgun: the endpoint from the environment, the exact send request, the fields it refuses,
// and what each answer means (upstream/mailgun/mailgun.h).
#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "salient/core/multipart.h"
#include "salient/upstream/mailgun/mailgun.h"

using namespace salient;
using namespace std::string_literals;

namespace {

const std::string boundary = "salient-00112233445566778899aabbccddeeff";

mailgun_endpoint us_endpoint() { return {"https://api.mailgun.net", "mg.example.com", "key-123", 7000}; }

email_message message() {
  email_message m;
  m.from = "Brightleaf <sales@mg.example.com>";
  m.to = "ann@example.com";
  m.subject = "Your quote";
  m.text = "Hello Ann,\r\n\r\nhere it is.";
  m.html = "<p>Hello Ann,</p>";
  m.reply_to = "owner@example.com";
  m.tag = "quote";
  m.variables = {{"x", "1"}, {"session_id", "019a9b4e"}};
  return m;
}

/// The request's form fields, read back through its own Content-Type.
std::vector<form_part> fields_of(const outbound_request& req) {
  auto parts = parse_multipart(req.body, find_header(req.headers, "content-type"));
  REQUIRE(parts.ok());
  return *parts;
}

std::optional<std::string> field(const std::vector<form_part>& parts, std::string_view name) {
  for (const auto& p : parts)
    if (p.name == name) return p.value;
  return std::nullopt;
}

fetch_result answer(int status, std::string body, header_list headers = {}) {
  return fetch_result{std::nullopt, response_head{status, std::move(headers), 0}, std::move(body)};
}

fetch_result no_answer(effect_failure_kind kind, std::string message = "") {
  return fetch_result{effect_failure{kind, std::move(message)}, {}, {}};
}

errc send_error(const email_message& m) {
  auto r = mailgun_send_request(us_endpoint(), m, boundary);
  REQUIRE_FALSE(r.ok());
  return r.err().kind;
}

environment env_of(std::initializer_list<std::pair<std::string, std::string>> vars) {
  environment env;
  for (const auto& [k, v] : vars) env.set(k, v);
  return env;
}

}  // namespace

TEST_CASE("mailgun: the endpoint defaults to the US API and trims a trailing slash", "[mailgun]") {
  auto ep = mailgun_endpoint_from_env(env_of({{"MAILGUN_DOMAIN", "mg.example.com"}, {"MAILGUN_API_KEY", "key-123"}}), 4000);
  REQUIRE(ep.ok());
  CHECK(ep->base_url == "https://api.mailgun.net");
  CHECK(ep->domain == "mg.example.com");
  CHECK(ep->api_key == "key-123");
  CHECK(ep->timeout_ms == 4000);
  auto eu = mailgun_endpoint_from_env(env_of({{"MAILGUN_BASE_URL", "https://api.eu.mailgun.net//"},
                                              {"MAILGUN_DOMAIN", "mg.example.com"}, {"MAILGUN_API_KEY", "key-123"}}), 4000);
  REQUIRE(eu.ok());
  CHECK(eu->base_url == "https://api.eu.mailgun.net");
}

TEST_CASE("mailgun: a missing domain or key, or a base URL that is not http(s), is misconfigured", "[mailgun]") {
  auto no_domain = mailgun_endpoint_from_env(env_of({{"MAILGUN_API_KEY", "key-secret-9"}}), 4000);
  REQUIRE_FALSE(no_domain.ok());
  CHECK(no_domain.err().kind == errc::misconfigured);
  CHECK(no_domain.err().message.find("MAILGUN_DOMAIN") != std::string::npos);
  CHECK(no_domain.err().message.find("key-secret-9") == std::string::npos);

  auto no_key = mailgun_endpoint_from_env(env_of({{"MAILGUN_DOMAIN", "mg.example.com"}}), 4000);
  REQUIRE_FALSE(no_key.ok());
  CHECK(no_key.err().kind == errc::misconfigured);
  CHECK(no_key.err().message.find("MAILGUN_API_KEY") != std::string::npos);

  auto ftp = mailgun_endpoint_from_env(env_of({{"MAILGUN_BASE_URL", "ftp://key-secret-9@mailgun"},
                                               {"MAILGUN_DOMAIN", "d"}, {"MAILGUN_API_KEY", "key-secret-9"}}), 4000);
  REQUIRE_FALSE(ftp.ok());
  CHECK(ftp.err().kind == errc::misconfigured);
  CHECK(ftp.err().message.find("MAILGUN_BASE_URL") != std::string::npos);
  CHECK(ftp.err().message.find("key-secret-9") == std::string::npos);
}

TEST_CASE("mailgun: the send request is a Basic-authenticated multipart POST", "[mailgun]") {
  auto req = mailgun_send_request(us_endpoint(), message(), boundary);
  REQUIRE(req.ok());
  CHECK(req->method == "POST");
  CHECK(req->url == "https://api.mailgun.net/v3/mg.example.com/messages");
  CHECK(find_header(req->headers, "authorization") == "Basic YXBpOmtleS0xMjM=");  // base64("api:key-123")
  CHECK(find_header(req->headers, "content-type") == "multipart/form-data; boundary=" + boundary);
  CHECK(req->timeout_ms == 7000);
  CHECK_FALSE(req->stream);

  auto parts = fields_of(*req);
  std::vector<std::string> names;
  for (const auto& p : parts) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"from", "to", "subject", "text", "html", "h:Reply-To", "o:tag", "v:x",
                                          "v:session_id"});
  CHECK(field(parts, "from") == "Brightleaf <sales@mg.example.com>");
  CHECK(field(parts, "to") == "ann@example.com");
  CHECK(field(parts, "subject") == "Your quote");
  CHECK(field(parts, "text") == "Hello Ann,\r\n\r\nhere it is.");
  CHECK(field(parts, "html") == "<p>Hello Ann,</p>");
  CHECK(field(parts, "h:Reply-To") == "owner@example.com");
  CHECK(field(parts, "o:tag") == "quote");
  CHECK(field(parts, "v:x") == "1");
  CHECK(field(parts, "v:session_id") == "019a9b4e");
}

TEST_CASE("mailgun: the EU base URL and a domain that needs escaping", "[mailgun]") {
  mailgun_endpoint eu{"https://api.eu.mailgun.net", "mg.example.eu", "key-123", 10000};
  CHECK(mailgun_send_request(eu, message(), boundary)->url == "https://api.eu.mailgun.net/v3/mg.example.eu/messages");
  mailgun_endpoint odd{"http://127.0.0.1:8025", "mg/../x y", "key-123", 10000};
  CHECK(mailgun_send_request(odd, message(), boundary)->url == "http://127.0.0.1:8025/v3/mg%2F..%2Fx%20y/messages");
}

TEST_CASE("mailgun: optional fields are left out when empty", "[mailgun]") {
  email_message m;
  m.from = "sales@mg.example.com";
  m.to = "ann@example.com";
  m.subject = "Hi";
  m.text = "Hello";
  auto req = mailgun_send_request(us_endpoint(), m, boundary);
  REQUIRE(req.ok());
  std::vector<std::string> names;
  for (const auto& p : fields_of(*req)) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"from", "to", "subject", "text"});
}

TEST_CASE("mailgun: CR, LF or NUL in a header-like field is refused, naming the field", "[mailgun]") {
  for (std::string bad : {"a\rBcc: x@evil.test"s, "a\nBcc: x@evil.test"s, "a\0b"s}) {
    auto check = [&](void (*set)(email_message&, const std::string&), std::string_view name) {
      email_message m = message();
      set(m, bad);
      auto r = mailgun_send_request(us_endpoint(), m, boundary);
      REQUIRE_FALSE(r.ok());
      CHECK(r.err().kind == errc::bad_request);
      CHECK(r.err().message.find("the email's " + std::string(name) + " ") != std::string::npos);
    };
    check([](email_message& m, const std::string& v) { m.from = v; }, "from");
    check([](email_message& m, const std::string& v) { m.to = v; }, "to");
    check([](email_message& m, const std::string& v) { m.subject = v; }, "subject");
    check([](email_message& m, const std::string& v) { m.reply_to = v; }, "reply_to");
    check([](email_message& m, const std::string& v) { m.tag = v; }, "tag");
    check([](email_message& m, const std::string& v) { m.variables = {{"x", v}}; }, "variable x");
    check([](email_message& m, const std::string& v) { m.variables = {{v, "1"}}; }, "variable name");
  }
  email_message quoted = message();
  quoted.variables = {{"a\"b", "1"}};
  CHECK(send_error(quoted) == errc::bad_request);
  email_message unnamed = message();
  unnamed.variables = {{"", "1"}};
  CHECK(send_error(unnamed) == errc::bad_request);
}

TEST_CASE("mailgun: the body text may hold line breaks; empty required fields are refused", "[mailgun]") {
  email_message m = message();
  m.text = "a\r\nb\0c"s;
  m.html = "<p>\r\n</p>";
  REQUIRE(mailgun_send_request(us_endpoint(), m, boundary).ok());
  for (auto clear : {+[](email_message& x) { x.from.clear(); }, +[](email_message& x) { x.to.clear(); },
                     +[](email_message& x) { x.subject.clear(); }, +[](email_message& x) { x.text.clear(); }}) {
    email_message e = message();
    clear(e);
    CHECK(send_error(e) == errc::bad_request);
  }
  email_message no_text = message();
  no_text.text.clear();
  CHECK(mailgun_send_request(us_endpoint(), no_text, boundary).err().message.find("text") != std::string::npos);
}

TEST_CASE("mailgun: a boundary inside the message, or an endpoint without a key, is not sent", "[mailgun]") {
  email_message m = message();
  m.text = "look: " + boundary;
  CHECK(send_error(m) == errc::internal);
  mailgun_endpoint keyless = us_endpoint();
  keyless.api_key.clear();
  auto r = mailgun_send_request(keyless, message(), boundary);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().kind == errc::misconfigured);
}

TEST_CASE("mailgun: a queued message gives its id", "[mailgun]") {
  auto sent = parse_mailgun_send(answer(200, R"({"id":"<20260101.1@mg.example.com>","message":"Queued. Thank you."})"));
  REQUIRE(sent.ok());
  CHECK(sent->id == "<20260101.1@mg.example.com>");
  CHECK(sent->message == "Queued. Thank you.");
  for (const char* body : {R"({"message":"Queued. Thank you."})", R"({"id":""})", R"({"id":7})", "Queued", ""}) {
    auto r = parse_mailgun_send(answer(200, body));
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().kind == errc::upstream);
  }
}

TEST_CASE("mailgun: each failed answer maps to its kind, with a generic message", "[mailgun]") {
  const std::string leaky = R"({"message":"to parameter is not a valid address: ann@example.com"})";
  struct row {
    int status;
    errc kind;
  };
  for (row r : {row{400, errc::upstream}, row{401, errc::misconfigured}, row{403, errc::misconfigured},
                row{404, errc::misconfigured}, row{413, errc::upstream}, row{429, errc::unavailable},
                row{500, errc::unavailable}, row{502, errc::unavailable}, row{503, errc::unavailable}}) {
    INFO("status " << r.status);
    auto e = parse_mailgun_send(answer(r.status, leaky));
    REQUIRE_FALSE(e.ok());
    CHECK(e.err().kind == r.kind);
    CHECK(e.err().message.find("ann@example.com") == std::string::npos);
  }
  CHECK(parse_mailgun_send(answer(401, "")).err().message == "Mailgun refused the API key");
  CHECK(parse_mailgun_send(answer(404, "")).err().message == "Mailgun does not know the domain");
  for (auto kind : {effect_failure_kind::timeout, effect_failure_kind::connect, effect_failure_kind::network}) {
    auto e = parse_mailgun_send(no_answer(kind));
    REQUIRE_FALSE(e.ok());
    CHECK(e.err().kind == errc::unavailable);
    CHECK(e.err().message == "the email service could not be reached");
  }
}

TEST_CASE("mailgun: Retry-After is read as delta-seconds, capped at an hour", "[mailgun]") {
  CHECK(retry_after_seconds(answer(429, "", {{"retry-after", "30"}})) == 30);
  CHECK(retry_after_seconds(answer(429, "", {{"retry-after", " 0 "}})) == 0);
  CHECK(retry_after_seconds(answer(429, "", {{"retry-after", "86400"}})) == 3600);
  CHECK(retry_after_seconds(answer(429, "", {{"retry-after", "99999999999999999999"}})) == 3600);
  CHECK_FALSE(retry_after_seconds(answer(429, "", {{"retry-after", "Wed, 21 Oct 2026 07:28:00 GMT"}})));
  CHECK_FALSE(retry_after_seconds(answer(429, "", {{"retry-after", "-5"}})));
  CHECK_FALSE(retry_after_seconds(answer(429, "", {{"retry-after", "1.5"}})));
  CHECK_FALSE(retry_after_seconds(answer(429, "", {{"retry-after", ""}})));
  CHECK_FALSE(retry_after_seconds(answer(429, "")));
  CHECK_FALSE(retry_after_seconds(no_answer(effect_failure_kind::timeout)));
}

TEST_CASE("mailgun: provider_response_json records status, id and message as valid JSON", "[mailgun]") {
  using nlohmann::json;
  auto ok = json::parse(provider_response_json(answer(200, R"({"id":"<1@mg>","message":"Queued. Thank you.","x":1})")));
  CHECK(ok == json{{"status", 200}, {"id", "<1@mg>"}, {"message", "Queued. Thank you."}});
  CHECK(json::parse(provider_response_json(answer(401, R"({"message":"Invalid private key"})"))) ==
        json{{"status", 401}, {"message", "Invalid private key"}});
  CHECK(json::parse(provider_response_json(answer(502, "<html>bad gateway</html>"))) ==
        json{{"status", 502}, {"message", "<html>bad gateway</html>"}});
  CHECK(json::parse(provider_response_json(answer(204, ""))) == json{{"status", 204}});
  CHECK(json::parse(provider_response_json(no_answer(effect_failure_kind::timeout))) == json{{"failure", "timeout"}});
  CHECK(json::parse(provider_response_json(no_answer(effect_failure_kind::connect, "ECONNREFUSED"))) ==
        json{{"failure", "connect"}, {"message", "ECONNREFUSED"}});

  // Long strings are cut to 500 bytes on a character boundary; invalid UTF-8 still gives JSON.
  std::string long_message(499, 'a');
  long_message += "\xC3\xA9\xC3\xA9";
  auto cut = json::parse(provider_response_json(answer(400, json{{"message", long_message}}.dump())));
  CHECK(cut["message"].get<std::string>() == std::string(499, 'a'));
  auto raw = json::parse(provider_response_json(answer(500, std::string(600, 'x') + "\xFF")));
  CHECK(raw["message"].get<std::string>().size() == 500);
  CHECK_NOTHROW(json::parse(provider_response_json(answer(500, "\xFF\xFE\"\\"))));
}
