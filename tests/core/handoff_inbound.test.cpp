// Mailgun's inbound post of a team member's reply (POST /mail/inbound) driven by the scripted fake
// host (issue 18): posts built and signed as hosts/node-dev/mailgun-inbound.js does (handoff_support.h).
// After the signature, the first store call is always the token's take (salient_inbound_token_take).
// The parser and checks on their own: inbound_mail.test.cpp.
#include <catch2/catch_test_macros.hpp>

#include "handoff_support.h"

using namespace handoff_test;

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
