// The handoff's routes driven by the scripted fake host (issue 18): "Talk to a person" (POST
// /a/{agent}/handoff), Mailgun's inbound post of a team member's reply (POST /mail/inbound), the
// open chat's poll (POST /a/{agent}/updates) and the sweep's share of handoffs. Each test asserts
// the store calls and Mailgun requests in order and what is answered. The rules the SQL functions
// keep (one email per handoff, a token used once, a reply stored once) are tests/db's; the stream's
// part is handoff_stream.test.cpp; the inbound post's parser and checks are inbound_mail.test.cpp.
//
// Inbound posts are built here the way hosts/node-dev/mailgun-inbound.js builds them (Mailgun's
// fields, each header also a field of its own, message-headers as JSON) and signed here with
// libsodium's one-shot HMAC-SHA256, independently of the core's verify_signature. After the
// signature, the first store call is always the token's take (salient_inbound_token_take).
#include <catch2/catch_test_macros.hpp>

#include <sodium.h>

#include <array>
#include <cctype>
#include <optional>
#include <regex>

#include "fake_host.h"
#include "salient/flows/flows.h"

using namespace salient;
using namespace salient::testing;

namespace {

// crypto_auth_hmacsha256 takes a key of exactly 32 bytes; Mailgun's are any length, the core's
// check too (inbound_mail.test.cpp has a vector with another length).
constexpr std::string_view signing_key = "whsec-handoff-0123456789abcdefgh";
static_assert(signing_key.size() == crypto_auth_hmacsha256_KEYBYTES);
const std::string reply_id = "k5uxgzlbmfrgs3tpnzxw42lsmu";  // 26 characters of [a-z2-7]
const std::string mg_token = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a697887";  // 50, like Mailgun's
constexpr std::int64_t now_s = test_now_ms / 1000;

json handoff_env() {
  json env = fake_host::default_env();
  env["MAILGUN_API_KEY"] = "key-test";
  env["MAILGUN_DOMAIN"] = "mg.example.com";
  env["MAILGUN_BASE_URL"] = "http://mail.test";
  env["MAILGUN_WEBHOOK_SIGNING_KEY"] = std::string(signing_key);
  return env;
}
json handoff_config(bool with_team = true) {
  json cfg = {{"app", {{"name", "Brightleaf Gardens"}, {"tenant", "acme"}, {"country", "US"}}},
              {"agents", {{"sales", json::object()},
                          {"support", {{"handoff", {{"team", json::array({{{"email", "carla@team.example"},
                                                                           {"name", "Carla Diaz"}}})}}}}}}}};
  if (with_team)
    cfg["handoff"] = {{"team", json::array({{{"email", "ana@team.example"}, {"name", "Ana Souza"}},
                                            {{"email", "bo@team.example"}, {"name", "Bo Chen"}}})},
                      {"response_time", "within two hours"}};
  return cfg;
}

json args(const json& effect) { return json::parse(effect["body"].get<std::string>()); }
std::string rpc(std::string_view fn) { return "http://store.test/rest/v1/rpc/" + std::string(fn); }
const std::string mailgun_url = "http://mail.test/v3/mg.example.com/messages";

/// A handoff as the store writes it (H in db/functions/handoffs.sql).
json handoff_h(std::string id = reply_id, std::string agent = "sales") {
  return {{"id", "h-1"},
          {"reply_id", id},
          {"agent", std::move(agent)},
          {"session_id", "s-1"},
          {"status", "open"},
          {"team_email", "sending"},
          {"created_at", "2025-11-22T08:26:40.000+00:00"},
          {"expires_at", "2025-12-22T08:26:40.000+00:00"},
          {"quiet_until", "2025-11-22T08:41:40.000+00:00"},
          {"last_team_reply_at", nullptr},
          {"thread_message_id", "<t1@mg.example.com>"}};
}
json conversation() {
  return {{"claim", "c-1"},
          {"session_id", "s-1"},
          {"session_key", "visitor-0001"},
          {"agent", "sales"},
          {"through", "2025-11-22T08:26:00.000+00:00"},
          {"started_at", "2025-11-22T08:20:00.000+00:00"},
          {"message_count", 2},
          {"messages", json::array({{{"role", "user"}, {"content", "Do you design rooftop gardens?"}},
                                    {{"role", "assistant"}, {"content", "We do. Shall I ask the team?"}}})},
          {"profile", nullptr},
          {"month_cost_usd", 0}};
}

/// Feeds queue → Mailgun → result for the email the last effect queues; returns its queue args
/// and Mailgun fields.
struct sent_mail {
  json queued;
  std::map<std::string, std::string> fields;
  json outcome;
};
sent_mail answer_send(fake_host& host, exchange_log& log, int mailgun_status = 200) {
  sent_mail s;
  const json queue = log.last_effect();
  REQUIRE(queue["url"] == rpc("salient_email_queue"));
  s.queued = args(queue);
  host.reply(log, queue["id"], 200, R"({"email_id":"e-1"})");
  const json mail = log.last_effect();
  REQUIRE(mail["url"] == mailgun_url);
  s.fields = mail_fields(mail);
  host.reply(log, mail["id"], mailgun_status,
             mailgun_status == 200 ? R"({"id":"<m1@mg.example.com>","message":"Queued"})" : R"({"message":"down"})");
  const json result = log.last_effect();
  REQUIRE(result["url"] == rpc("salient_email_result"));
  s.outcome = args(result);
  host.reply(log, result["id"], 200, R"({"status":"sent"})");
  return s;
}

bool is_reply_id(const json& v) {
  return v.is_string() && std::regex_match(v.get<std::string>(), std::regex("[a-z2-7]{26}"));
}

// ---- the button ---------------------------------------------------------------------------------

json button_head(std::string agent = "sales") {
  return fake_host::head("POST", "/a/" + agent + "/handoff",
                         json{{"content-type", "application/json"}, {"accept", "application/json"}});
}
constexpr const char* button_body = R"({"session_key":"visitor-0001"})";

}  // namespace

TEST_CASE("handoff button: claimed, the team gets one email with the conversation's reply address", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  auto log = host.start(button_head(), button_body);
  REQUIRE(log.effects.size() == 1);
  CHECK(log.effects[0]["url"] == rpc("salient_handoff_start"));
  json start = args(log.effects[0]);
  CHECK(start["p_tenant"] == "acme");
  CHECK(start["p_agent"] == "sales");
  CHECK(start["p_session_key"] == "visitor-0001");
  CHECK(start["p_trigger"] == "button");
  CHECK(start["p_now_ms"] == test_now_ms);
  CHECK(start["p_reply_days"] == 30);
  CHECK(start["p_quiet_minutes"] == 15);
  CHECK(start["p_per_session_per_day"] == 3);
  CHECK(is_reply_id(start["p_reply_id"]));
  // The store keeps the id it was given for a new handoff; the email uses the stored one.
  std::string id = start["p_reply_id"];
  host.reply(log, log.effects[0]["id"], 200,
             json{{"status", "claimed"}, {"handoff", handoff_h(id)}, {"claim", conversation()}}.dump());

  auto sent = answer_send(host, log);
  CHECK(sent.queued["p_kind"] == "handoff");
  CHECK(sent.queued["p_handoff_id"] == "h-1");
  CHECK(sent.queued["p_session_id"] == "s-1");
  CHECK(sent.queued["p_summary_id"].is_null());
  CHECK(sent.queued["p_to"] == "ana@team.example, bo@team.example");
  CHECK(sent.fields["to"] == "ana@team.example, bo@team.example");
  CHECK(sent.fields["h:Reply-To"] == "reply+" + id + "@mg.example.com");
  CHECK(sent.fields["o:tag"] == "handoff");
  CHECK_FALSE(sent.fields.contains("h:In-Reply-To"));  // the thread starts here
  CHECK(sent.fields["text"].find("Do you design rooftop gardens?") != std::string::npos);
  CHECK(sent.fields["text"].find("within two hours") != std::string::npos);
  CHECK(sent.outcome["p_status"] == "sent");

  REQUIRE(log.done);
  CHECK(log.status == 200);
  json body = json::parse(log.body);
  CHECK(body["status"] == "started");
  CHECK(body["handoff"]["team"] == "Ana Souza and Bo Chen");
  CHECK(body["handoff"]["response_time"] == "within two hours");
  CHECK(body["message"] ==
        "I've asked the Brightleaf Gardens team to join this chat. They'll reply here, usually within two hours. "
        "You can keep writing: your messages go to them too.");
  for (const json& line : log.logs) CHECK(line.dump().find("rooftop") == std::string::npos);
}

TEST_CASE("handoff button: a failed send keeps the handoff and answers 202 queued", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  auto log = host.start(button_head(), button_body);
  host.reply(log, log.effects[0]["id"], 200,
             json{{"status", "claimed"}, {"handoff", handoff_h()}, {"claim", conversation()}}.dump());
  auto sent = answer_send(host, log, 503);
  CHECK(sent.outcome["p_status"] == "failed");  // for the sweep's retry (salient_email_result)
  REQUIRE(log.done);
  CHECK(log.status == 202);
  json body = json::parse(log.body);
  CHECK(body["status"] == "queued");
  CHECK(body["message"].get<std::string>().find("keep trying") != std::string::npos);
}

TEST_CASE("handoff button: the store's other answers send nothing", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  auto answer = [&](json started) {
    auto log = host.start(button_head(), button_body);
    host.reply(log, log.effects[0]["id"], 200, started.dump());
    REQUIRE(log.done);
    CHECK(log.effects.size() == 1);  // no email
    return log;
  };
  auto open = answer({{"status", "open"}, {"handoff", handoff_h()}});
  CHECK(open.status == 200);
  CHECK(json::parse(open.body)["status"] == "open");
  CHECK(json::parse(open.body)["message"] == "The team already has this conversation and will reply here.");
  auto none = answer({{"status", "no_conversation"}});
  CHECK(none.status == 400);
  CHECK(json::parse(none.body)["error"]["code"] == "no_conversation");
  auto limited = answer({{"status", "limited"}, {"retry_after", 5400}});
  CHECK(limited.status == 429);
  CHECK(limited.header("retry-after") == "5400");
  CHECK(json::parse(limited.body)["error"]["code"] == "too_many_handoffs");

  // The store failing is not a handoff started.
  auto log = host.start(button_head(), button_body);
  host.reply(log, log.effects[0]["id"], 500, R"({"code":"XX000","message":"boom"})");
  CHECK(log.status == 503);
  CHECK(log.effects.size() == 1);
}

TEST_CASE("handoff button: htmx gets the note the page swaps in, escaped", "[handoff]") {
  json cfg = handoff_config();
  cfg["app"]["name"] = "Brightleaf <Gardens>";
  fake_host host(summary_flow, cfg, handoff_env());
  json head = fake_host::head("POST", "/a/sales/handoff",
                              json{{"content-type", "application/x-www-form-urlencoded"}, {"hx-request", "true"}});
  auto log = host.start(head, "session_key=visitor-0001");
  host.reply(log, log.effects[0]["id"], 200,
             json{{"status", "claimed"}, {"handoff", handoff_h()}, {"claim", conversation()}}.dump());
  answer_send(host, log);
  CHECK(log.status == 200);
  CHECK(log.header("content-type") == "text/html; charset=utf-8");
  CHECK(log.body.starts_with(R"(<p id="handoff-status" class="handoff-status" role="status">)"
                             "I&#39;ve asked the Brightleaf &lt;Gardens&gt; team"));
  auto limited = host.start(head, "session_key=visitor-0001");
  host.reply(limited, limited.effects[0]["id"], 200, R"({"status":"limited","retry_after":60})");
  CHECK(limited.status == 429);
  CHECK(limited.header("retry-after") == "60");
  CHECK(limited.body.find("data-error role=\"alert\"") != std::string::npos);
}

TEST_CASE("handoff button: a bad key or an agent without a team is refused before the store", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  for (const char* body : {R"({"session_key":"short"})", R"({"session_key":"has space 0001"})", "{}"}) {
    INFO(body);
    auto log = host.start(button_head(), body);
    CHECK(log.status == 400);
    CHECK(log.effects.empty());
  }
  fake_host no_team(summary_flow, handoff_config(false), handoff_env());
  auto off = no_team.start(button_head(), button_body);
  CHECK(off.status == 404);
  CHECK(json::parse(off.body)["error"]["code"] == "handoff_off");
  CHECK(off.effects.empty());
  // The support agent has its own team even where none is shared.
  auto support = no_team.start(button_head("support"), button_body);
  REQUIRE(support.effects.size() == 1);
  CHECK(args(support.effects[0])["p_agent"] == "support");
}

// ---- Mailgun's inbound post -------------------------------------------------------------------

namespace {

std::string hmac_hex(std::string_view key, std::string_view message) {
  REQUIRE(sodium_init() >= 0);
  REQUIRE(key.size() == crypto_auth_hmacsha256_KEYBYTES);
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256(mac.data(), reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                         reinterpret_cast<const unsigned char*>(key.data()));
  std::array<char, 2 * crypto_auth_hmacsha256_BYTES + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), mac.data(), mac.size());
  return hex.data();
}

/// One reply as a mail client and Mailgun send it (the fields of hosts/node-dev/mailgun-inbound.js).
struct reply_mail {
  std::string recipient = "reply+" + std::string(reply_id) + "@mg.example.com";
  std::string from = "Ana Souza <ana@team.example>";
  std::string envelope;  // the SMTP MAIL FROM, what SPF checked; default: the From's address
  std::string subject = "Re: A visitor asked for a person";
  std::string text = "Yes, we design rooftop gardens. I'll call you tomorrow.";
  std::string body_plain;  // default: text and a quoted original
  std::optional<std::string> spf = "Pass", dkim = "Pass";
  std::string message_id = "<r1@team.example>";
  std::int64_t timestamp = now_s;
  std::string token{mg_token};
  std::string key{signing_key};
  std::optional<std::string> signature;  // replaces the computed one
  int attachments = 0;                   // sent multipart, as Mailgun does then
  std::vector<std::pair<std::string, std::string>> lower_headers;  // below Mailgun's and the client's
};

std::string bare(const std::string& from) {
  auto open = from.rfind('<');
  return open == std::string::npos ? from : from.substr(open + 1, from.size() - open - 2);
}

std::vector<std::pair<std::string, std::string>> fields_of(const reply_mail& m) {
  json headers = json::array({{"X-Mailgun-Incoming", "Yes"}});
  if (m.spf) headers.push_back({"X-Mailgun-Spf", *m.spf});
  if (m.dkim) headers.push_back({"X-Mailgun-Dkim-Check-Result", *m.dkim});
  for (const json& h : json::array({{"X-Envelope-From", "<" + (m.envelope.empty() ? bare(m.from) : m.envelope) + ">"},
                                    {"Received", "from mail-client.invalid by mxa.mailgun.org with ESMTP"},
                                    {"From", m.from},
                                    {"To", m.recipient},
                                    {"Subject", m.subject},
                                    {"Message-Id", m.message_id},
                                    {"In-Reply-To", "<t1@mg.example.com>"},
                                    {"Content-Type", "text/plain; charset=\"UTF-8\""}}))
    headers.push_back(h);
  for (const auto& [k, v] : m.lower_headers) headers.push_back({k, v});
  std::vector<std::pair<std::string, std::string>> f{
      {"recipient", m.recipient}, {"sender", m.envelope.empty() ? bare(m.from) : m.envelope}, {"subject", m.subject},
      {"from", m.from}};
  for (const json& h : headers) f.emplace_back(h[0], h[1]);
  std::string ts = std::to_string(m.timestamp);
  f.insert(f.end(), {{"message-headers", headers.dump()},
                     {"body-plain", m.body_plain.empty() ? m.text + "\r\n\r\nOn Sat, Brightleaf wrote:\r\n> Hi" : m.body_plain},
                     {"stripped-text", m.text},
                     {"stripped-signature", ""},
                     {"timestamp", ts},
                     {"token", m.token},
                     {"signature", m.signature.value_or(hmac_hex(m.key, ts + m.token))}});
  return f;
}

exchange_log post_reply(fake_host& host, const reply_mail& m) {
  auto f = fields_of(m);
  std::string type = "application/x-www-form-urlencoded", body;
  if (m.attachments == 0) {
    for (const auto& [k, v] : f) body += (body.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v);
  } else {
    std::vector<form_part> parts;
    for (const auto& [k, v] : f) parts.push_back({k, v, {}, {}});
    parts.push_back({"attachment-count", std::to_string(m.attachments), {}, {}});
    for (int i = 1; i <= m.attachments; ++i)
      parts.push_back({"attachment-" + std::to_string(i), "%PDF-1.4 …", "quote.pdf", "application/pdf"});
    auto encoded = encode_multipart(parts, "mg-inbound-boundary");
    REQUIRE(encoded.ok());
    body = *encoded;
    type = "multipart/form-data; boundary=mg-inbound-boundary";
  }
  return host.start(fake_host::head("POST", "/mail/inbound", json{{"content-type", type},
                                                                    {"user-agent", "mailgun/treq-16.12.0"}}),
                    body);
}

/// Answers the token's take, the first effect after the signature check, with `status`.
void take_token(fake_host& host, exchange_log& log, std::string status = "taken",
                const std::string& message_id = "<r1@team.example>") {
  REQUIRE(log.effects.size() == 1);
  const json& take = log.effects[0];
  REQUIRE(take["url"] == rpc("salient_inbound_token_take"));
  CHECK(args(take) == json{{"p_tenant", "acme"}, {"p_token", mg_token}, {"p_mail_message_id", message_id},
                           {"p_now_ms", test_now_ms}});
  host.reply(log, take["id"], 200, json{{"status", status}}.dump());
}

/// Takes the token, then answers the lookup with `found`.
void answer_lookup(fake_host& host, exchange_log& log, json found) {
  take_token(host, log);
  REQUIRE(log.effects.size() == 2);
  const json& lookup = log.effects[1];
  REQUIRE(lookup["url"] == rpc("salient_handoff_lookup"));
  CHECK(args(lookup) == json{{"p_tenant", "acme"}, {"p_reply_id", reply_id}, {"p_now_ms", test_now_ms}});
  host.reply(log, lookup["id"], 200, found.dump());
}
json found_ok(std::string agent = "sales") { return {{"status", "ok"}, {"handoff", handoff_h(reply_id, std::move(agent))}}; }

int refused_with(const exchange_log& log, std::string_view code) {
  CHECK(log.done);
  CHECK(json::parse(log.body)["error"]["code"] == code);
  return log.status;
}

/// Nothing Mailgun posted reaches the logs: not the sender, the reply, the token or the subject.
void check_logs_clean(const exchange_log& log, const reply_mail& m) {
  for (const json& line : log.logs) {
    std::string s = line.dump();
    INFO(s);
    CHECK(s.find(bare(m.from)) == std::string::npos);
    CHECK(s.find("rooftop") == std::string::npos);
    CHECK(s.find(m.token) == std::string::npos);
    CHECK(s.find("A visitor asked") == std::string::npos);
  }
}

std::vector<std::string> urls(const exchange_log& log) {
  std::vector<std::string> out;
  for (const json& e : log.effects) out.push_back(e["url"]);
  return out;
}

}  // namespace

TEST_CASE("inbound: a signed reply from a team member is stored under the config's name", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  reply_mail m;
  m.from = "\"Someone Else Entirely\" <Ana@Team.example>";  // the display name is the sender's to choose
  auto log = post_reply(host, m);
  answer_lookup(host, log, found_ok());
  REQUIRE(log.effects.size() == 3);
  REQUIRE(log.effects[2]["url"] == rpc("salient_handoff_reply"));
  json stored = args(log.effects[2]);
  CHECK(stored == json{{"p_tenant", "acme"},
                       {"p_reply_id", reply_id},
                       {"p_token", nullptr},  // taken already
                       {"p_mail_message_id", "<r1@team.example>"},
                       {"p_name", "Ana Souza"},
                       {"p_text", m.text},
                       {"p_now_ms", test_now_ms},
                       {"p_quiet_minutes", 15}});
  host.reply(log, log.effects[2]["id"], 200, R"({"status":"stored","message_id":"m-9","session_id":"s-1"})");
  REQUIRE(log.done);
  CHECK(log.status == 200);
  CHECK(json::parse(log.body) == json{{"status", "stored"}});
  CHECK(log.effects.size() == 3);  // no bounce
  check_logs_clean(log, m);
  bool logged = false;
  for (const json& line : log.logs) logged = logged || line["event"] == "handoff.reply_stored";
  CHECK(logged);
}

TEST_CASE("inbound: a reply address in upper case and no Message-Id still finds its handoff", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  reply_mail m;
  std::string upper(reply_id);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  m.recipient = "REPLY+" + upper + "@MG.EXAMPLE.COM";
  m.message_id = "";
  auto log = post_reply(host, m);
  // Without a Message-Id, Mailgun's token tells a retry from a new reply.
  take_token(host, log, "taken", "token:" + mg_token);
  REQUIRE(log.last_effect()["url"] == rpc("salient_handoff_lookup"));
  CHECK(args(log.last_effect())["p_reply_id"] == reply_id);  // lower case
  host.reply(log, log.last_effect()["id"], 200, found_ok().dump());
  CHECK(args(log.last_effect())["p_mail_message_id"] == "token:" + mg_token);
}

TEST_CASE("inbound: Mailgun's token is taken first; a used one stores nothing and tells no one", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  reply_mail m;
  // The same post again (its reply stored): a success, or Mailgun keeps retrying for 8 hours.
  auto duplicate = post_reply(host, m);
  take_token(host, duplicate, "duplicate");
  REQUIRE(duplicate.done);
  CHECK(duplicate.status == 200);
  CHECK(json::parse(duplicate.body)["status"] == "duplicate");
  CHECK(duplicate.effects.size() == 1);
  // The token with anything else: a signed post altered and posted again.
  reply_mail altered;
  altered.recipient = "reply+" + std::string(26, 'a') + "@mg.example.com";
  auto replayed = post_reply(host, altered);
  take_token(host, replayed, "replayed");
  CHECK(refused_with(replayed, "replayed") == 406);
  CHECK(replayed.effects.size() == 1);  // no lookup, no bounce
  check_logs_clean(replayed, altered);
  // The store down: not 406, so that Mailgun retries.
  auto down = post_reply(host, m);
  host.reply(down, down.effects[0]["id"], 503, "{}");
  CHECK(down.status == 503);
  CHECK(down.effects.size() == 1);
  auto lookup_down = post_reply(host, m);
  take_token(host, lookup_down);
  host.reply(lookup_down, lookup_down.last_effect()["id"], 503, "{}");
  CHECK(lookup_down.status == 503);
  CHECK(lookup_down.effects.size() == 2);
}

TEST_CASE("inbound: the store's verdicts on the reply", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  reply_mail m;
  auto stored_as = [&](int status, std::string answer) {
    auto log = post_reply(host, m);
    answer_lookup(host, log, found_ok());
    REQUIRE(log.last_effect()["url"] == rpc("salient_handoff_reply"));
    host.reply(log, log.last_effect()["id"], status, std::move(answer));
    check_logs_clean(log, m);
    return log;
  };
  // A retry of a stored reply is a success, or Mailgun keeps retrying for 8 hours.
  auto duplicate = stored_as(200, R"({"status":"duplicate"})");
  CHECK(duplicate.status == 200);
  CHECK(json::parse(duplicate.body)["status"] == "duplicate");
  CHECK(duplicate.effects.size() == 3);
  auto replayed = stored_as(200, R"({"status":"replayed"})");
  CHECK(refused_with(replayed, "replayed") == 406);
  CHECK(replayed.effects.size() == 3);  // nobody is written to about a replayed token
  // The store down: not 406, so that Mailgun retries.
  auto down = stored_as(503, R"({"message":"unavailable"})");
  CHECK(down.status == 503);
  auto broken = stored_as(500, R"({"code":"XX000","message":"boom"})");
  CHECK(broken.status >= 500);
  // Expired between the lookup and the write: refused, and the member told.
  auto expired = stored_as(200, R"({"status":"expired"})");
  auto bounce = answer_send(host, expired);
  CHECK(bounce.queued["p_kind"] == "handoff_bounce");
  CHECK(bounce.fields["to"] == "ana@team.example");
  CHECK(refused_with(expired, "expired") == 406);
  // Unknown by then (the visitor's data deleted): refused, nobody told.
  auto gone = stored_as(200, R"({"status":"unknown"})");
  CHECK(gone.effects.size() == 3);
  CHECK(refused_with(gone, "unknown_reply") == 406);
}

TEST_CASE("inbound: a reply with attachments is stored as text, and its sender told they were dropped",
          "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  reply_mail m;
  m.attachments = 2;
  m.from = "Bo <bo@team.example>";
  auto log = post_reply(host, m);
  answer_lookup(host, log, found_ok());
  CHECK(args(log.last_effect())["p_name"] == "Bo Chen");
  host.reply(log, log.last_effect()["id"], 200, R"({"status":"stored","message_id":"m-9","session_id":"s-1"})");
  auto bounce = answer_send(host, log);
  CHECK(bounce.queued["p_kind"] == "handoff_bounce");
  CHECK(bounce.queued["p_session_id"].is_null());
  CHECK(bounce.fields["to"] == "bo@team.example");
  CHECK(bounce.fields["subject"] == "Re: A visitor asked for a person");
  CHECK(bounce.fields["text"].find("Attachments are not passed on") != std::string::npos);
  REQUIRE(log.done);
  CHECK(log.status == 200);
  CHECK(json::parse(log.body)["status"] == "stored");
  check_logs_clean(log, m);
}

TEST_CASE("inbound: no signing key is 503; a malformed post is 406; both before the store", "[handoff]") {
  json env = handoff_env();
  env.erase("MAILGUN_WEBHOOK_SIGNING_KEY");
  fake_host unset(summary_flow, handoff_config(), env);
  auto log = post_reply(unset, reply_mail{});
  CHECK(log.status == 503);
  CHECK(log.effects.empty());

  fake_host host(summary_flow, handoff_config(), handoff_env());
  auto no_token = host.start(fake_host::head("POST", "/mail/inbound", json{{"content-type", "application/x-www-form-urlencoded"}}),
                             "timestamp=1763800000&signature=00&recipient=x");
  CHECK(refused_with(no_token, "malformed") == 406);
  CHECK(no_token.effects.empty());
  auto not_form = host.start(fake_host::head("POST", "/mail/inbound", json{{"content-type", "application/json"}}), "{}");
  CHECK(refused_with(not_form, "malformed") == 406);
  CHECK(host.start(fake_host::head("GET", "/mail/inbound")).status == 405);
}

TEST_CASE("inbound: a bad or stale signature is refused without asking the store anything", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  auto refused = [&](reply_mail m, std::string_view code) {
    auto log = post_reply(host, m);
    CHECK(log.effects.empty());
    CHECK(refused_with(log, code) == 406);
    check_logs_clean(log, m);
  };
  reply_mail wrong_key;
  wrong_key.key = "another-key-0123456789abcdefghij";
  refused(wrong_key, "bad_signature");
  reply_mail tampered;
  tampered.signature = hmac_hex(signing_key, std::to_string(now_s) + std::string(mg_token) + "x");
  refused(tampered, "bad_signature");
  reply_mail garbage;
  garbage.signature = "not-hex";
  refused(garbage, "bad_signature");
  // Signed correctly, but 6 minutes off either way: a replay of an old post, or a clock far off.
  reply_mail old_post;
  old_post.timestamp = now_s - 360;
  refused(old_post, "stale");
  reply_mail future_post;
  future_post.timestamp = now_s + 360;
  refused(future_post, "stale");
  reply_mail recent;
  recent.timestamp = now_s - 240;  // within 5 minutes
  CHECK(post_reply(host, recent).effects.size() == 1);
}

TEST_CASE("inbound: an unknown or expired address bounces only to an authenticated team member", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  // A team member, SPF and DKIM passed: told why their reply went nowhere.
  for (std::string status : {"unknown", "expired"}) {
    INFO(status);
    reply_mail m;
    auto log = post_reply(host, m);
    answer_lookup(host, log, {{"status", status}});
    auto bounce = answer_send(host, log);
    CHECK(bounce.queued["p_kind"] == "handoff_bounce");
    CHECK(bounce.fields["to"] == "ana@team.example");
    CHECK(bounce.fields["text"].find(status == "expired" ? "no longer takes replies" : "belongs to no open conversation") !=
          std::string::npos);
    CHECK(refused_with(log, status == "expired" ? "expired" : "unknown_reply") == 406);
    CHECK(log.effects.size() == 5);  // token, lookup, queue, Mailgun, result: nothing stored
    check_logs_clean(log, m);
  }
  // Another agent's team member counts: which agent the address was is not known.
  reply_mail carla;
  carla.from = "Carla <carla@team.example>";
  auto log = post_reply(host, carla);
  answer_lookup(host, log, {{"status", "unknown"}});
  CHECK(answer_send(host, log).fields["to"] == "carla@team.example");
  CHECK(refused_with(log, "unknown_reply") == 406);

  // A forged From on a team address (neither SPF nor DKIM passed), or someone off the list:
  // no email to anyone (backscatter).
  auto silent = [&](reply_mail m) {
    auto log = post_reply(host, m);
    answer_lookup(host, log, {{"status", "unknown"}});
    CHECK(urls(log) == std::vector<std::string>{rpc("salient_inbound_token_take"), rpc("salient_handoff_lookup")});
    CHECK(refused_with(log, "unknown_reply") == 406);
  };
  reply_mail forged;
  forged.spf = "Fail";
  forged.dkim = "Fail";
  silent(forged);
  // SPF passed for the forger's own domain, the team member's address in From.
  reply_mail unaligned;
  unaligned.envelope = "bounce@forger.example";
  silent(unaligned);
  reply_mail unchecked;  // no verdict from Mailgun at all
  unchecked.spf = std::nullopt;
  unchecked.dkim = std::nullopt;
  silent(unchecked);
  reply_mail stranger;
  stranger.from = "Eve <eve@elsewhere.example>";
  silent(stranger);

  // Not a reply address of this deployment at all: nothing to look up.
  reply_mail other_domain;
  other_domain.recipient = "reply+" + std::string(reply_id) + "@mg.other.example";
  auto nowhere = post_reply(host, other_domain);
  take_token(host, nowhere);
  CHECK(nowhere.effects.size() == 1);
  CHECK(refused_with(nowhere, "unknown_reply") == 406);
}

TEST_CASE("inbound: a sender off this handoff's team, or unauthenticated, is refused and nothing stored",
          "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  auto refused_after_lookup = [&](reply_mail m, std::string_view code, std::string agent = "sales") {
    auto log = post_reply(host, m);
    answer_lookup(host, log, found_ok(agent));
    // No write, no email.
    CHECK(urls(log) == std::vector<std::string>{rpc("salient_inbound_token_take"), rpc("salient_handoff_lookup")});
    CHECK(refused_with(log, code) == 406);
    check_logs_clean(log, m);
  };
  reply_mail stranger;
  stranger.from = "Eve <eve@elsewhere.example>";
  refused_after_lookup(stranger, "not_team");
  reply_mail carla;  // on the support agent's team, not on sales'
  carla.from = "Carla <carla@team.example>";
  refused_after_lookup(carla, "not_team");
  reply_mail ana_on_support;  // and the other way round
  refused_after_lookup(ana_on_support, "not_team", "support");
  reply_mail list;  // two mailboxes: which one wrote is a guess
  list.from = "<eve@elsewhere.example>, <ana@team.example>";
  refused_after_lookup(list, "not_team");

  reply_mail forged;
  forged.spf = "Fail";
  forged.dkim = "Neutral";
  refused_after_lookup(forged, "unauthenticated");
  // SPF vouches for the envelope's domain only: it must be the From's.
  reply_mail unaligned;
  unaligned.envelope = "bounce@forger.example";
  refused_after_lookup(unaligned, "unauthenticated");
  // A DKIM pass names no domain (any domain's signature passes): not enough on its own.
  reply_mail dkim_only;
  dkim_only.spf = "Fail";
  refused_after_lookup(dkim_only, "unauthenticated");
  // Mailgun's verdict is the topmost header; one the sender wrote lower down does not count.
  reply_mail planted;
  planted.spf = "Fail";
  planted.lower_headers = {{"X-Mailgun-Spf", "Pass"}, {"Authentication-Results", "mx.team.example; spf=pass; dkim=pass"}};
  refused_after_lookup(planted, "unauthenticated");
  // The envelope at another address of the From's domain (a mail system's bounce address) passes.
  reply_mail same_domain;
  same_domain.envelope = "bounces+x@team.example";
  auto log = post_reply(host, same_domain);
  answer_lookup(host, log, found_ok());
  CHECK(log.last_effect()["url"] == rpc("salient_handoff_reply"));
}

TEST_CASE("inbound: a reply with no text of its own is refused and its sender told", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  reply_mail m;
  m.text = " \r\n ";
  m.body_plain = "On Sat, Brightleaf wrote:\r\n> the team's own email, not for the visitor";
  auto log = post_reply(host, m);
  answer_lookup(host, log, found_ok());
  auto bounce = answer_send(host, log);
  CHECK(bounce.queued["p_kind"] == "handoff_bounce");
  CHECK(bounce.fields["to"] == "ana@team.example");
  CHECK(bounce.fields["text"].find("No text was left") != std::string::npos);
  CHECK(refused_with(log, "empty") == 406);
  for (const json& e : log.effects) CHECK(e["url"] != rpc("salient_handoff_reply"));
}

// ---- the open chat's poll -----------------------------------------------------------------------

namespace {

json updates_head() {
  return fake_host::head("POST", "/a/sales/updates",
                         json{{"content-type", "application/json"}, {"accept", "application/json"}});
}

}  // namespace

TEST_CASE("updates: the team's replies since `after`, named, and the handoff while it is open", "[handoff]") {
  fake_host host(chat_flow, handoff_config(), handoff_env());
  auto log = host.start(updates_head(), R"({"session_key":"visitor-0001","after":"2025-11-22T08:26:40.123+00:00"})");
  REQUIRE(log.effects.size() == 1);
  CHECK(log.effects[0]["url"] == rpc("salient_session_updates"));
  CHECK(args(log.effects[0]) == json{{"p_tenant", "acme"},
                                     {"p_agent", "sales"},
                                     {"p_session_key", "visitor-0001"},
                                     {"p_after", "2025-11-22T08:26:40.123+00:00"},
                                     {"p_mark_seen", true},
                                     {"p_now_ms", test_now_ms}});
  json h = handoff_h();
  h.erase("id");  // the updates' handoff has no id
  h["last_team_reply_at"] = "2025-11-22T08:30:00.000+00:00";
  json messages = json::array(
      {{{"id", "m-5"}, {"role", "team"}, {"content", "We do!"}, {"created_at", "2025-11-22T08:30:00.000+00:00"},
        {"metadata", {{"name", "Ana Souza"}, {"mail_message_id", "<r1@team.example>"}, {"token", mg_token}}}},
       {{"id", "m-6"}, {"role", "user"}, {"content", "Great"}, {"created_at", "2025-11-22T08:31:00.000+00:00"},
        {"metadata", json::object()}}});
  host.reply(log, log.effects[0]["id"], 200, json{{"handoff", h}, {"messages", messages}, {"unread", 1}}.dump());
  REQUIRE(log.done);
  CHECK(log.status == 200);
  json body = json::parse(log.body);
  CHECK(body["handoff"] ==
        json{{"active", true}, {"team", "Ana Souza and Bo Chen"}, {"response_time", "within two hours"}, {"replied", true}});
  CHECK(body["unread"] == 1);
  REQUIRE(body["messages"].size() == 2);
  CHECK(body["messages"][0] == json{{"id", "m-5"}, {"role", "team"}, {"content", "We do!"},
                                    {"created_at", "2025-11-22T08:30:00.000+00:00"}, {"mode", nullptr},
                                    {"name", "Ana Souza"}});
  CHECK_FALSE(body["messages"][1].contains("name"));
  CHECK(log.body.find("r1@team.example") == std::string::npos);
  CHECK(log.body.find(mg_token) == std::string::npos);
}

TEST_CASE("updates: the badge's poll does not mark replies seen; a closed handoff is none", "[handoff]") {
  fake_host host(chat_flow, handoff_config(), handoff_env());
  auto log = host.start(updates_head(), R"({"session_key":"visitor-0001","seen":"0"})");
  REQUIRE(log.effects.size() == 1);
  json a = args(log.effects[0]);
  CHECK(a["p_mark_seen"] == false);
  CHECK(a["p_after"].is_null());
  json h = handoff_h();
  h["status"] = "closed";
  host.reply(log, log.effects[0]["id"], 200, json{{"handoff", h}, {"messages", json::array()}, {"unread", 0}}.dump());
  CHECK(log.status == 200);
  CHECK(json::parse(log.body)["handoff"].is_null());

  auto none = host.start(updates_head(), R"({"session_key":"visitor-0001","seen":"1"})");
  CHECK(args(none.effects[0])["p_mark_seen"] == true);
  host.reply(none, none.effects[0]["id"], 200, R"({"handoff":null,"messages":[],"unread":0})");
  CHECK(json::parse(none.body) == json{{"handoff", nullptr}, {"messages", json::array()}, {"unread", 0}});
  // An open handoff with no reply yet.
  auto waiting = host.start(updates_head(), R"({"session_key":"visitor-0001"})");
  host.reply(waiting, waiting.effects[0]["id"], 200, json{{"handoff", handoff_h()}, {"messages", json::array()}}.dump());
  CHECK(json::parse(waiting.body)["handoff"]["replied"] == false);

  auto down = host.start(updates_head(), R"({"session_key":"visitor-0001"})");
  host.reply(down, down.effects[0]["id"], 503, "{}");
  CHECK(down.status == 503);
}

TEST_CASE("updates: `after` must be a time; bad requests never reach the store", "[handoff]") {
  fake_host host(chat_flow, handoff_config(), handoff_env());
  for (std::string body : {std::string(R"({"session_key":"visitor-0001","after":"yesterday"})"),
                           std::string(R"({"session_key":"visitor-0001","after":"2025-11-22'; drop table messages;--"})"),
                           R"({"session_key":"visitor-0001","after":")" + std::string(41, '1') + "\"}",
                           std::string(R"({"session_key":"visitor-0001","after":5})"),
                           std::string(R"({"session_key":"bad"})")}) {
    INFO(body);
    auto log = host.start(updates_head(), body);
    CHECK(log.status == 400);
    CHECK(log.effects.empty());
  }
  // The page's form post: the time's '+' percent-encoded.
  auto form = host.start(fake_host::head("POST", "/a/sales/updates",
                                         json{{"content-type", "application/x-www-form-urlencoded"}}),
                         "session_key=visitor-0001&after=2025-11-22T08%3A26%3A40.1%2B00%3A00");
  REQUIRE(form.effects.size() == 1);
  CHECK(args(form.effects[0])["p_after"] == "2025-11-22T08:26:40.1+00:00");
  CHECK(host.start(fake_host::head("GET", "/a/sales/updates")).status == 405);
}

// ---- the sweep ----------------------------------------------------------------------------------

namespace {

exchange_log start_sweep(fake_host& host, json due) {
  json head = fake_host::head("POST", "/internal/sweep");
  head["scheduled"] = true;
  auto log = host.start(head, R"({"trigger":"test","limit":8})");
  REQUIRE(log.effects.size() == 1);
  REQUIRE(log.effects[0]["url"] == rpc("salient_handoff_due"));
  json a = args(log.effects[0]);
  CHECK(a["p_tenant"] == "acme");
  CHECK(a["p_limit"] == 2);  // a quarter of the run
  CHECK(a["p_notify_minutes"] == 10);
  host.reply(log, log.effects[0]["id"], 200, due.dump());
  return log;
}
/// The summaries' claim after the handoffs: nothing idle.
void finish_sweep(fake_host& host, exchange_log& log) {
  REQUIRE(log.last_effect()["url"] == rpc("salient_summary_claim"));
  host.reply(log, log.last_effect()["id"], 200, R"({"status":"claimed","claims":[]})");
  REQUIRE(log.done);
  CHECK(log.status == 200);
}

json forward_lines() {
  return {{"handoff", handoff_h()},
          {"through", "2025-11-22T08:25:00.000+00:00"},
          {"subject", "Re: A visitor asked for a person"},
          {"messages", json::array({{{"id", "u-1"}, {"content", "Also, do you water them?"},
                                     {"created_at", "2025-11-22T08:24:00.000+00:00"}},
                                    {{"id", "u-2"}, {"content", "Weekly would be ideal."},
                                     {"created_at", "2025-11-22T08:25:00.000+00:00"}}})}};
}

}  // namespace

TEST_CASE("sweep: the visitor's lines go to the team in the email's thread, then are marked", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  auto log = start_sweep(host, {{"team_emails", json::array()}, {"forwards", json::array({forward_lines()})},
                                {"notifies", json::array()}, {"more", false}});
  auto sent = answer_send(host, log);
  CHECK(sent.queued["p_kind"] == "handoff_forward");
  CHECK(sent.queued["p_handoff_id"] == "h-1");
  CHECK(sent.fields["to"] == "ana@team.example, bo@team.example");
  CHECK(sent.fields["h:In-Reply-To"] == "<t1@mg.example.com>");
  CHECK(sent.fields["h:References"] == "<t1@mg.example.com>");
  CHECK(sent.fields["h:Reply-To"] == "reply+" + std::string(reply_id) + "@mg.example.com");
  CHECK(sent.fields["subject"] == "Re: A visitor asked for a person");
  CHECK(sent.fields["text"].find("Also, do you water them?") != std::string::npos);
  CHECK(sent.fields["text"].find("Weekly would be ideal.") != std::string::npos);
  const json mark = log.last_effect();
  REQUIRE(mark["url"] == rpc("salient_handoff_forwarded"));
  CHECK(args(mark) == json{{"p_tenant", "acme"}, {"p_handoff", "h-1"}, {"p_through", "2025-11-22T08:25:00.000+00:00"}});
  host.reply(log, mark["id"], 200, "null");
  finish_sweep(host, log);
  CHECK(json::parse(log.body)["handoffs"] ==
        json{{"team_emails", 0}, {"forwards", 1}, {"notifies", 0}, {"failed", 0}});
  for (const json& line : log.logs) CHECK(line.dump().find("water them") == std::string::npos);

  // The store gives the team email's own subject: the forward answers it, for clients that
  // thread on subjects.
  json lines = forward_lines();
  lines["subject"] = "Brightleaf Gardens: a visitor asked for a person";
  auto next = start_sweep(host, {{"forwards", json::array({lines})}});
  CHECK(answer_send(host, next).fields["subject"] == "Re: Brightleaf Gardens: a visitor asked for a person");
}

TEST_CASE("sweep: a forward Mailgun refused is not marked, so the next run sends it", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  auto log = start_sweep(host, {{"forwards", json::array({forward_lines()})}});
  answer_send(host, log, 503);
  for (const json& e : log.effects) CHECK(e["url"] != rpc("salient_handoff_forwarded"));
  finish_sweep(host, log);
  CHECK(json::parse(log.body)["handoffs"] ==
        json{{"team_emails", 0}, {"forwards", 0}, {"notifies", 0}, {"failed", 1}});
}

TEST_CASE("sweep: an unseen reply goes to the visitor's verified address, then is marked", "[handoff]") {
  json env = handoff_env();
  env["SALIENT_PUBLIC_URL"] = "https://shop.example/";
  fake_host host(summary_flow, handoff_config(), env);
  json notify = {{"handoff", handoff_h()},
                 {"email", "visitor@example.com"},
                 {"through", "2025-11-22T08:30:00.000+00:00"},
                 {"messages", json::array({{{"id", "m-5"}, {"content", "We do rooftop gardens, yes."},
                                            {"created_at", "2025-11-22T08:30:00.000+00:00"},
                                            {"name", "Ana Souza"}}})}};
  auto log = start_sweep(host, {{"notifies", json::array({notify})}});
  auto sent = answer_send(host, log);
  CHECK(sent.queued["p_kind"] == "handoff_notify");
  CHECK(sent.queued["p_handoff_id"] == "h-1");
  CHECK(sent.fields["to"] == "visitor@example.com");
  CHECK_FALSE(sent.fields.contains("h:Reply-To"));  // the visitor answers in the chat, not to the team
  CHECK(sent.fields["text"].find("We do rooftop gardens, yes.") != std::string::npos);
  CHECK(sent.fields["text"].find("Ana Souza") != std::string::npos);
  CHECK(sent.fields["text"].find("https://shop.example/a/sales/") != std::string::npos);
  const json mark = log.last_effect();
  REQUIRE(mark["url"] == rpc("salient_handoff_notified"));
  CHECK(args(mark)["p_through"] == "2025-11-22T08:30:00.000+00:00");
  host.reply(log, mark["id"], 200, "null");
  finish_sweep(host, log);
  CHECK(json::parse(log.body)["handoffs"]["notifies"] == 1);
  for (const json& line : log.logs) CHECK(line.dump().find("visitor@example.com") == std::string::npos);
}

TEST_CASE("sweep: a team email still to send goes out as the button's would", "[handoff]") {
  fake_host host(summary_flow, handoff_config(), handoff_env());
  auto log = start_sweep(host, {{"team_emails", json::array({{{"handoff", handoff_h()}, {"claim", conversation()}}})}});
  auto sent = answer_send(host, log);
  CHECK(sent.queued["p_kind"] == "handoff");
  CHECK(sent.fields["h:Reply-To"] == "reply+" + std::string(reply_id) + "@mg.example.com");
  finish_sweep(host, log);
  CHECK(json::parse(log.body)["handoffs"]["team_emails"] == 1);

  // The store failing the due call: the summaries still get their run.
  json head = fake_host::head("POST", "/internal/sweep");
  head["scheduled"] = true;
  auto failed = host.start(head, R"({"trigger":"test"})");
  host.reply(failed, failed.effects[0]["id"], 503, "{}");
  finish_sweep(host, failed);
}
