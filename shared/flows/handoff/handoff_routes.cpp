// POST /a/{agent}/handoff: "Talk to a person" (handoff_flow.h). The store makes the handoff, or
// finds the one under way, and hands this request the team's email to send when it is due; so a
// double press, a press while the sweep sends, or the stream's request followed by the press send
// one email (db/functions/handoffs.sql).
#include "core/json.h"
#include "flows/button_answer.h"
#include "flows/email_send.h"
#include "flows/handoff/handoff_flow.h"
#include "flows/handoff/handoff_send.h"
#include "flows/handoff/inbound_mail.h"
#include "flows/rate_limits.h"
#include "http/chat_input.h"
#include "salient/http/respond.h"

namespace salient::handoff {
namespace {

using detail::json;

void respond_note(exchange& ex, response_format fmt, int status, const json& body, std::string_view note) {
  respond_button_note(ex, fmt, status, body, "handoff-status", note);
}

void respond_refusal(exchange& ex, const error& e, response_format fmt) {
  respond_button_refusal(ex, e, fmt, "handoff-status");
}

json handoff_json(const config& cfg, const agent_config& agent, const handoff_record& h) {
  return json{{"team", team_names(cfg.handoff_team_of(agent))},
              {"response_time", cfg.handoff.response_time},
              {"expires_at", h.expires_at}};
}

}  // namespace

task<void> post_handoff(function_context ctx, const agent_config& agent) {
  exchange& ex = ctx.ex;
  const request& req = ex.req();
  const config& cfg = ctx.cfg;
  response_format fmt = format_for(req);
  if (auto refused = chat_input::check_post(req, cfg)) co_return respond_refusal(ex, *refused, fmt);
  auto fields = chat_input::read_body_fields(req);
  if (!fields) co_return respond_refusal(ex, fields.err(), fmt);
  std::string_view key = form_value(*fields, "session_key").value_or("");
  if (!chat_input::is_key(key))
    co_return respond_refusal(
        ex, make_error(errc::bad_request, "session_key must be 8-128 letters, digits, '-' or '_'", "/session_key"), fmt);
  if (cfg.handoff_team_of(agent).empty())
    co_return respond_refusal(ex, make_coded_error(errc::not_found, "handoff_off", "this assistant cannot reach a person"),
                              fmt);
  auto services = summary::services_from(ctx);
  if (!services) co_return respond_refusal(ex, services.err(), fmt);

  handoff_start_args args{cfg.app.tenant, agent.code, std::string(key), new_reply_id(ctx.rng), "button", req.now_ms,
                          cfg.handoff.reply_days, cfg.handoff.quiet_minutes, summary::lease_seconds,
                          cfg.handoff.per_session_per_day, email_limits_json(ctx, agent, key)};
  auto started = parse_handoff_start(co_await ex.fetch(handoff_start_request(services->store, args)));
  if (ex.cancelled()) co_return;
  if (!started) co_return respond_refusal(ex, started.err(), fmt);
  using st = handoff_start::status;
  switch (started->state) {
    case st::no_conversation:
      co_return respond_refusal(
          ex, make_coded_error(errc::bad_request, "no_conversation", "send a message first, then ask for a person"), fmt);
    case st::limited:
      if (auto refusal = rate_limit_refusal(started->limit, started->scope, started->retry_after_s))
        co_return respond_refusal(ex, *refusal, fmt);  // rate_limits.emails_per_hour
      co_return respond_refusal(ex,
                                make_coded_error(errc::too_many_requests, "too_many_handoffs",
                                                 "this conversation asked for a person too often today; please try later",
                                                 started->retry_after_s),
                                fmt);
    case st::open: {
      std::string note = "The team already has this conversation and will reply here.";
      co_return respond_note(ex, fmt, 200,
                             json{{"status", "open"}, {"handoff", handoff_json(cfg, agent, started->handoff)},
                                  {"message", note}},
                             note);
    }
    case st::claimed: break;
  }
  const handoff_record& h = started->handoff;
  ex.log(log_level::info, "handoff.started", {{"agent", agent.code}, {"session_id", h.session_id}, {"handoff_id", h.id}});
  auto sent = co_await send_team_email(ctx, *services, h, *started->claim, "button");
  if (!sent) {
    // The handoff stays: Mailgun's failure is recorded, and the sweep sends it with backoff.
    ex.log(log_level::warn, "handoff.send_failed", {{"handoff_id", h.id}, {"reason", sent.err().message}});
    std::string note = "The team could not be reached just now; we'll keep trying and they'll reply here.";
    co_return respond_note(ex, fmt, 202,
                           json{{"status", "queued"}, {"handoff", handoff_json(cfg, agent, h)}, {"message", note}}, note);
  }
  std::string note = started_message(cfg, agent);
  respond_note(ex, fmt, 200, json{{"status", "started"}, {"handoff", handoff_json(cfg, agent, h)}, {"message", note}},
               note);
}

}  // namespace salient::handoff
