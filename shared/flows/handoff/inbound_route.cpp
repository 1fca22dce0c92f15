// POST /mail/inbound: Mailgun's inbound route forwards a team member's reply to a handoff email
// (handoff_flow.h). Nothing is stored until every check has passed, in this order: the post
// parses; Mailgun's signature holds and is fresh (else anyone could post replies); its token has
// not been used (taken now, salient_inbound_token_take: the signature does not cover the rest of
// the post); the reply address names a handoff of this tenant that is still open; the From
// address is on that agent's team (the name shown is the config's); Mailgun's SPF check passed
// for an envelope sender of the From's domain (else the From could be forged); there is text.
// Then the reply is stored once by its Message-Id (salient_handoff_reply).
//
// Answers: 200 stored | duplicate (Mailgun retries anything but 200 and 406 for hours, so a retry
// of a stored reply is a success); 406 for what a retry cannot fix; 503 when the store, Mailgun's
// settings or the signing key are missing, so that Mailgun retries once they are back. A team
// member whose reply was refused for a reason they can act on (expired, unknown, empty) or whose
// attachments were dropped gets a short email; nobody off the team list ever does (backscatter).
// Nothing about the mail is logged but the outcome: the fields hold addresses and the reply.
#include <algorithm>

#include "core/json.h"
#include "flows/handoff/handoff_flow.h"
#include "flows/handoff/handoff_send.h"
#include "flows/handoff/inbound_mail.h"
#include "salient/http/respond.h"

namespace salient::handoff {
namespace {

using detail::json;

void refuse(exchange& ex, std::string_view code, std::string_view message) {
  ex.log(log_level::warn, "handoff.inbound_refused", {{"code", std::string(code)}});
  respond_json(ex, 406, detail::dump(json{{"error", {{"code", code}, {"message", message}}}}));
}

const team_member* find_member(const std::vector<team_member>& team, std::string_view address) {
  auto it = std::find_if(team.begin(), team.end(), [&](const team_member& m) { return m.email == address; });
  return it == team.end() ? nullptr : &*it;
}

/// The sender when they are on any agent's team: who may be told why a reply to an unknown or
/// expired address went nowhere (the handoff, and so its agent, is not known then).
const team_member* any_team_member(const config& cfg, std::string_view address) {
  if (const team_member* m = find_member(cfg.handoff.team, address)) return m;
  for (const agent_config& a : cfg.agents)
    if (const team_member* m = find_member(a.handoff_team, address)) return m;
  return nullptr;
}

task<void> bounce(function_context ctx, const summary::services& s, const team_member* to, bounce_reason reason,
                  const inbound_mail& mail) {
  if (!to) co_return;
  auto sent = co_await send_bounce(ctx, s, *to, reason, mail.subject);
  if (!sent) ctx.ex.log(log_level::warn, "handoff.bounce_failed", {{"reason", sent.err().message}});
}

}  // namespace

task<void> post_inbound(function_context ctx) {
  exchange& ex = ctx.ex;
  const request& req = ex.req();
  const config& cfg = ctx.cfg;
  if (req.method != "POST")
    co_return respond_error(ex, make_error(errc::method_not_allowed, "Mailgun posts replies here"), response_format::json);
  std::string_view key = ctx.env.get("MAILGUN_WEBHOOK_SIGNING_KEY");
  if (key.empty()) {
    ex.log(log_level::error, "config.invalid", {{"reason", "MAILGUN_WEBHOOK_SIGNING_KEY is not set"}});
    co_return respond_error(ex, make_error(errc::unavailable, "replies by email are not configured yet"),
                            response_format::json);
  }
  auto mail = parse_inbound(req);
  // A body that does not parse now will not parse on a retry either.
  if (!mail) co_return refuse(ex, "malformed", mail.err().message);
  switch (verify_signature(key, *mail, req.now_ms / 1000)) {
    case signature_status::bad_signature: co_return refuse(ex, "bad_signature", "the signature does not match");
    case signature_status::stale: co_return refuse(ex, "stale", "the timestamp is too old or too new");
    case signature_status::ok: break;
  }
  auto services = summary::services_from(ctx, /*business=*/false);  // no lead card here
  if (!services) co_return respond_error(ex, make_error(errc::unavailable, services.err().message), response_format::json);
  const summary::services& s = *services;

  // Without a Message-Id a retry could not be told from a new reply: the token stands in.
  std::string message_id = mail->message_id.empty() ? "token:" + mail->token : mail->message_id;
  // The token first, before anything is looked up or anyone is written to: the signature covers
  // only timestamp + token, so a signed post altered and posted again must find it used. Mailgun
  // signs each delivery afresh (a retry comes hours later, outside any timestamp window), so a
  // used token is never a retry of its own.
  auto token = parse_inbound_token_take(co_await ex.fetch(
      inbound_token_take_request(s.store, cfg.app.tenant, mail->token, message_id, req.now_ms)));
  if (!token) co_return respond_error(ex, token.err(), response_format::json);
  if (*token == token_take_status::duplicate) co_return respond_json(ex, 200, R"({"status":"duplicate"})");
  if (*token == token_take_status::replayed) co_return refuse(ex, "replayed", "this token was used before");

  std::string sender = address_of(mail->from);
  const bool authenticated = sender_authenticated(*mail);
  // Told only when the mail really came from them: a forged From must not make us write to anyone.
  const team_member* on_some_team = authenticated ? any_team_member(cfg, sender) : nullptr;
  auto reply_id = reply_id_of(mail->recipient, s.mailgun.domain);
  if (!reply_id) co_return refuse(ex, "unknown_reply", "this address takes no replies");
  auto found = parse_handoff_lookup(co_await ex.fetch(handoff_lookup_request(s.store, cfg.app.tenant, *reply_id,
                                                                              req.now_ms)));
  if (!found) co_return respond_error(ex, found.err(), response_format::json);
  if (found->state != handoff_lookup::status::ok) {
    bool expired = found->state == handoff_lookup::status::expired;
    co_await bounce(ctx, s, on_some_team, expired ? bounce_reason::expired : bounce_reason::unknown, *mail);
    co_return refuse(ex, expired ? "expired" : "unknown_reply",
                     expired ? "this conversation no longer takes replies" : "no conversation has this reply address");
  }
  const agent_config* agent = summary::agent_of(cfg, found->handoff.agent);
  const team_member* member = agent ? find_member(cfg.handoff_team_of(*agent), sender) : nullptr;
  if (!member) co_return refuse(ex, "not_team", "the sender is not on this conversation's team");
  if (!authenticated)
    co_return refuse(ex, "unauthenticated", "SPF did not pass for a sender of the From address's domain");
  std::string text = reply_text_of(*mail);
  if (text.empty()) {
    co_await bounce(ctx, s, member, bounce_reason::empty, *mail);
    co_return refuse(ex, "empty", "the reply has no text of its own");
  }
  handoff_reply_args args{cfg.app.tenant, *reply_id, /*token: taken above*/ {}, message_id, member->name,
                          std::move(text), req.now_ms, cfg.handoff.quiet_minutes};
  auto stored = parse_handoff_reply(co_await ex.fetch(handoff_reply_request(s.store, args),
                                                      effect_policy::survive_cancel));
  if (!stored) co_return respond_error(ex, stored.err(), response_format::json);
  using st = handoff_reply::status;
  switch (stored->state) {
    case st::stored:
      ex.log(log_level::info, "handoff.reply_stored", {{"handoff_id", found->handoff.id}, {"agent", agent->code}});
      if (mail->attachment_count > 0) co_await bounce(ctx, s, member, bounce_reason::attachments_dropped, *mail);
      co_return respond_json(ex, 200, detail::dump(json{{"status", "stored"}}));
    case st::duplicate: co_return respond_json(ex, 200, detail::dump(json{{"status", "duplicate"}}));
    case st::replayed: co_return refuse(ex, "replayed", "this token was used before");
    case st::expired:
      co_await bounce(ctx, s, member, bounce_reason::expired, *mail);
      co_return refuse(ex, "expired", "this conversation no longer takes replies");
    case st::unknown: co_return refuse(ex, "unknown_reply", "no conversation has this reply address");
  }
}

}  // namespace salient::handoff
