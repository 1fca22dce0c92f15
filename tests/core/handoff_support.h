#pragma once
// What the handoff flow tests share (handoff_button, handoff_inbound, handoff_sweep .test.cpp): the
// configuration and environment with a team, the store's handoff as it writes it, one email's
// queue → Mailgun → result, and Mailgun's inbound post built and signed the way
// hosts/node-dev/mailgun-inbound.js does, independently of the core's verify_signature.
#include <catch2/catch_test_macros.hpp>

#include <sodium.h>

#include <array>
#include <cctype>
#include <optional>
#include <regex>

#include "fake_host.h"
#include "salient/flows/flows.h"
#include <map>

namespace handoff_test {

using namespace salient;
using namespace salient::testing;


// crypto_auth_hmacsha256 takes a key of exactly 32 bytes; Mailgun's are any length, the core's
// check too (inbound_mail.test.cpp has a vector with another length).
constexpr std::string_view signing_key = "whsec-handoff-0123456789abcdefgh";
static_assert(signing_key.size() == crypto_auth_hmacsha256_KEYBYTES);
inline const std::string reply_id = "k5uxgzlbmfrgs3tpnzxw42lsmu";  // 26 characters of [a-z2-7]
inline const std::string mg_token = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a697887";  // 50, like Mailgun's
constexpr std::int64_t now_s = test_now_ms / 1000;

inline json handoff_env() {
  json env = fake_host::default_env();
  env["MAILGUN_API_KEY"] = "key-test";
  env["MAILGUN_DOMAIN"] = "mg.example.com";
  env["MAILGUN_BASE_URL"] = "http://mail.test";
  env["MAILGUN_WEBHOOK_SIGNING_KEY"] = std::string(signing_key);
  return env;
}
inline json handoff_config(bool with_team = true) {
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

inline json args(const json& effect) { return json::parse(effect["body"].get<std::string>()); }
inline std::string rpc(std::string_view fn) { return "http://store.test/rest/v1/rpc/" + std::string(fn); }
inline const std::string mailgun_url = "http://mail.test/v3/mg.example.com/messages";

/// A handoff as the store writes it (H in db/functions/handoffs.sql).
inline json handoff_h(std::string id = reply_id, std::string agent = "sales") {
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
inline json conversation() {
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
inline sent_mail answer_send(fake_host& host, exchange_log& log, int mailgun_status = 200) {
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

inline bool is_reply_id(const json& v) {
  return v.is_string() && std::regex_match(v.get<std::string>(), std::regex("[a-z2-7]{26}"));
}



inline std::string hmac_hex(std::string_view key, std::string_view message) {
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

inline std::string bare(const std::string& from) {
  auto open = from.rfind('<');
  return open == std::string::npos ? from : from.substr(open + 1, from.size() - open - 2);
}

inline std::vector<std::pair<std::string, std::string>> fields_of(const reply_mail& m) {
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

inline exchange_log post_reply(fake_host& host, const reply_mail& m) {
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
inline void take_token(fake_host& host, exchange_log& log, std::string status = "taken",
                const std::string& message_id = "<r1@team.example>") {
  REQUIRE(log.effects.size() == 1);
  const json& take = log.effects[0];
  REQUIRE(take["url"] == rpc("salient_inbound_token_take"));
  CHECK(args(take) == json{{"p_tenant", "acme"}, {"p_token", mg_token}, {"p_mail_message_id", message_id},
                           {"p_now_ms", test_now_ms}});
  host.reply(log, take["id"], 200, json{{"status", status}}.dump());
}

/// Takes the token, then answers the lookup with `found`.
inline void answer_lookup(fake_host& host, exchange_log& log, json found) {
  take_token(host, log);
  REQUIRE(log.effects.size() == 2);
  const json& lookup = log.effects[1];
  REQUIRE(lookup["url"] == rpc("salient_handoff_lookup"));
  CHECK(args(lookup) == json{{"p_tenant", "acme"}, {"p_reply_id", reply_id}, {"p_now_ms", test_now_ms}});
  host.reply(log, lookup["id"], 200, found.dump());
}
inline json found_ok(std::string agent = "sales") { return {{"status", "ok"}, {"handoff", handoff_h(reply_id, std::move(agent))}}; }

inline int refused_with(const exchange_log& log, std::string_view code) {
  CHECK(log.done);
  CHECK(json::parse(log.body)["error"]["code"] == code);
  return log.status;
}

/// Nothing Mailgun posted reaches the logs: not the sender, the reply, the token or the subject.
inline void check_logs_clean(const exchange_log& log, const reply_mail& m) {
  for (const json& line : log.logs) {
    std::string s = line.dump();
    INFO(s);
    CHECK(s.find(bare(m.from)) == std::string::npos);
    CHECK(s.find("rooftop") == std::string::npos);
    CHECK(s.find(m.token) == std::string::npos);
    CHECK(s.find("A visitor asked") == std::string::npos);
  }
}

inline std::vector<std::string> urls(const exchange_log& log) {
  std::vector<std::string> out;
  for (const json& e : log.effects) out.push_back(e["url"]);
  return out;
}


}  // namespace handoff_test
