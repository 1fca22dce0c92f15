// The summary function: a conversation's summary, with the lead's details and outcome, emailed
// to the sales team once.
//
//   POST /a/{agent}/summary {session_key}       the "Email summary" button (form/htmx or JSON)
//        → sent {sent_at} | already_sent {sent_at} (no new message since) | 202 sending (a sweep
//          has it) | 400 no_conversation | 429 too_many_summaries (summary.per_session_per_day)
//   GET  /a/{agent}/transcript/<signed token>   the read-only transcript the email links to
//        (noindex; 410 once expired, summary.link_days, or once the visitor's data is erased)
//   POST /a/{agent}/handoff, POST /mail/inbound  the handoff to a person (flows/handoff)
//   the host's scheduled run (request.scheduled)  the idle sweep (sweep.cpp), handoffs' too
//
// At most once: every path claims the conversation in the store first (a lease), so a button
// pressed during a sweep, two overlapping sweeps or a trigger delivered twice send one email
// (db/functions/summaries.sql).
#include "core/json.h"
#include "flows/button_answer.h"
#include "flows/email_send.h"
#include "flows/handoff/handoff_flow.h"
#include "flows/rate_limits.h"
#include "flows/summary/summary_send.h"
#include "flows/summary/sweep.h"
#include "http/chat_input.h"
#include "salient/flows/flows.h"
#include "salient/http/respond.h"
#include "salient/http/route.h"
#include "salient/http/stream_token.h"

namespace salient {
namespace {

using detail::json;

void respond_status(exchange& ex, response_format fmt, int status, const json& body, std::string_view line) {
  respond_button_note(ex, fmt, status, body, "summary-status", line);
}

void respond_button_error(exchange& ex, const error& e, response_format fmt) {
  respond_button_refusal(ex, e, fmt, "summary-status");
}

task<void> post_summary(function_context ctx, const agent_config& agent) {
  exchange& ex = ctx.ex;
  const request& req = ex.req();
  response_format fmt = format_for(req);
  if (auto refused = chat_input::check_post(req, ctx.cfg)) co_return respond_button_error(ex, *refused, fmt);
  auto fields = chat_input::read_body_fields(req);
  if (!fields) co_return respond_button_error(ex, fields.err(), fmt);
  std::string_view key = form_value(*fields, "session_key").value_or("");
  if (!chat_input::is_key(key))
    co_return respond_button_error(
        ex, make_error(errc::bad_request, "session_key must be 8-128 letters, digits, '-' or '_'", "/session_key"), fmt);
  auto services = summary::services_from(ctx);
  if (!services) co_return respond_button_error(ex, services.err(), fmt);
  if (ctx.cfg.sales_recipient_of(agent).empty()) {
    ex.log(log_level::error, "config.invalid", {{"reason", "email.sales_recipient is not set"}});
    co_return respond_button_error(
        ex, make_error(errc::misconfigured, "conversation summaries are not set up yet (no sales recipient)"), fmt);
  }

  summary_claim_args args{ctx.cfg.app.tenant, agent.code, std::string(key), req.now_ms,
                          ctx.cfg.chat.inactivity_minutes, 1, summary::lease_seconds,
                          ctx.cfg.summary.per_session_per_day, email_limits_json(ctx, agent, key)};
  auto claimed = parse_summary_claim(co_await ex.fetch(summary_claim_request(services->store, args)));
  if (ex.cancelled()) co_return;
  if (!claimed) co_return respond_button_error(ex, claimed.err(), fmt);
  using st = summary_claims::status;
  switch (claimed->state) {
    case st::no_conversation:
      co_return respond_button_error(
          ex, make_coded_error(errc::bad_request, "no_conversation", "send a message first, then email the summary"), fmt);
    case st::limited:
      if (auto refusal = rate_limit_refusal(claimed->limit, claimed->scope, claimed->retry_after_s))
        co_return respond_button_error(ex, *refusal, fmt);  // rate_limits.emails_per_hour
      co_return respond_button_error(ex,
                                     make_coded_error(errc::too_many_requests, "too_many_summaries",
                                           "this conversation's summary was sent too often today; please try later",
                                           claimed->retry_after_s),
                                     fmt);
    case st::busy:
      co_return respond_status(ex, fmt, 202, json{{"status", "sending"}}, "The summary is being sent to the team.");
    case st::already_sent:
      co_return respond_status(ex, fmt, 200, json{{"status", "already_sent"}, {"sent_at", claimed->sent_at}},
                               "Already sent to the team at " + summary::display_time(claimed->sent_at) +
                                   "; no new messages since.");
    case st::claimed: break;
  }
  if (claimed->claims.size() != 1) co_return respond_button_error(ex, make_error(errc::internal, "unexpected claim"), fmt);
  auto sent = co_await summary::summarize_and_send(ctx, *services, claimed->claims.front(), "button");
  if (!sent) co_return respond_button_error(ex, sent.err(), fmt);
  if (sent->lost)
    co_return respond_status(ex, fmt, 202, json{{"status", "sending"}}, "The summary is being sent to the team.");
  respond_status(ex, fmt, 200, json{{"status", "sent"}, {"sent_at", sent->sent_at}},
                 "Summary sent to the team at " + summary::display_time(sent->sent_at) + ".");
}

task<void> get_transcript(function_context ctx, const agent_config& agent, std::string_view token) {
  exchange& ex = ctx.ex;
  email_brand brand = brand_of(ctx.cfg, agent);
  // The page's own meta tags say no-referrer and noindex too; every response is no-store already.
  header_list noindex{{"x-robots-tag", "noindex, nofollow"}};
  std::string secret(ctx.env.get("SALIENT_STREAM_SECRET"));
  auto id = verify_transcript_link(secret, agent.code, token, ex.req().now_ms / 1000,
                                   std::int64_t{ctx.cfg.summary.link_days} * 86400);
  if (secret.size() < min_stream_secret_bytes || !id) {
    bool expired = id.ok() ? false : id.err().message == "this link has expired";
    co_return respond_html(ex, expired ? 410 : 404, render_transcript_gone_page(brand, expired), noindex);
  }
  auto store = state_store_from_env(ctx.env, ctx.cfg.limits.upstream_timeout_ms);
  if (!store) co_return respond_error(ex, make_error(errc::misconfigured, "the transcript store is not configured"),
                                      response_format::html);
  auto found = parse_summary_transcript(
      co_await ex.fetch(summary_transcript_request(*store, ctx.cfg.app.tenant, *id, ex.req().now_ms)));
  if (ex.cancelled()) co_return;
  if (!found) co_return respond_error(ex, found.err(), response_format::html);
  if (found->state != summary_transcript::status::ok)
    co_return respond_html(ex, 410,
                           render_transcript_gone_page(brand, found->state == summary_transcript::status::expired),
                           noindex);
  transcript_page_view view{brand, agent.name, summary::lead_view_of(found->lead_json, false), {},
                            summary::display_time(found->link_expires_at).substr(0, 10)};
  for (const stored_message& m : found->messages)
    view.lines.push_back({m.role, m.content, summary::display_time(m.created_at)});
  respond_html(ex, 200, render_transcript_page(view), noindex);
}

}  // namespace

task<void> summary_flow(function_context ctx) {
  exchange& ex = ctx.ex;
  const request& req = ex.req();
  if (req.scheduled) co_return co_await summary::sweep(ctx);
  if (req.path == "/mail/inbound") co_return co_await handoff::post_inbound(ctx);
  auto route = parse_agent_path(req.path);
  const agent_config* agent = route ? ctx.cfg.find_enabled_agent(route->agent) : nullptr;
  response_format fmt = format_for(req);
  if (agent && route->rest == "/handoff") {
    if (req.method != "POST") co_return respond_error(ex, make_error(errc::method_not_allowed, "use POST"), fmt);
    co_return co_await handoff::post_handoff(ctx, *agent);
  }
  if (agent && route->rest == "/summary") {
    if (req.method != "POST") co_return respond_error(ex, make_error(errc::method_not_allowed, "use POST"), fmt);
    co_return co_await post_summary(ctx, *agent);
  }
  constexpr std::string_view transcript = "/transcript/";
  if (agent && route->rest.starts_with(transcript)) {
    if (req.method != "GET" && req.method != "HEAD")
      co_return respond_error(ex, make_error(errc::method_not_allowed, "use GET for this page"), fmt);
    co_return co_await get_transcript(ctx, *agent, std::string_view(route->rest).substr(transcript.size()));
  }
  respond_error(ex, make_error(errc::not_found, "there is no page at this address"), fmt);
}

}  // namespace salient
