#include "flows/summary/sweep.h"

#include <algorithm>

#include "core/json.h"
#include "flows/handoff/handoff_flow.h"
#include "flows/summary/summary_send.h"
#include "salient/http/respond.h"

namespace salient::summary {
namespace {

using detail::json;

/// Per run: each conversation costs about 4 subrequests (summary_send.h), so Cloudflare's free
/// plan (50 per invocation) fits 10 after the claim; hosts ask for fewer or more within this.
constexpr int default_limit = 10, max_limit = 50;

}  // namespace

task<void> sweep(function_context ctx) {
  exchange& ex = ctx.ex;
  const request& req = ex.req();
  auto body = detail::parse_json(req.body.empty() ? std::string_view("{}") : std::string_view(req.body));
  if (!body || !body->is_object()) {
    respond_error(ex, make_error(errc::bad_request, "the sweep's body must be a JSON object"), response_format::json);
    co_return;
  }
  std::string trigger(detail::string_member(*body, "trigger").value_or("unnamed"));
  auto limit = detail::int_member(*body, "limit").value_or(default_limit);
  limit = limit < 1 ? 1 : limit > max_limit ? max_limit : limit;

  auto services = services_from(ctx);
  if (!services) {
    respond_error(ex, services.err(), response_format::json);
    co_return;
  }
  // Handoffs first: a visitor may be waiting for the team. Each kind of their work (team emails,
  // forwards, notices) takes at most a quarter of the run; the summaries get what is left, so a
  // run stays inside the host's subrequests (Cloudflare's 50) however the work is spread.
  handoff::sweep_counts handoffs = co_await handoff::sweep(ctx, *services, std::max<int>(1, limit / 4));
  std::int64_t handoff_work = handoffs.team_emails + handoffs.forwards + handoffs.notifies + handoffs.failed;
  summary_claim_args args{ctx.cfg.app.tenant, {}, {}, req.now_ms, ctx.cfg.chat.inactivity_minutes,
                          static_cast<int>(std::max<std::int64_t>(1, limit - handoff_work)), lease_seconds,
                          ctx.cfg.summary.per_session_per_day, /*email_limits_json=*/{}};
  auto claimed = parse_summary_claim(co_await ex.fetch(summary_claim_request(services->store, args),
                                                       effect_policy::survive_cancel));
  if (!claimed) {
    ex.log(log_level::warn, "summary.sweep_failed", {{"trigger", trigger}, {"reason", claimed.err().message}});
    respond_error(ex, claimed.err(), response_format::json);
    co_return;
  }
  if (claimed->unknown > 0)
    ex.log(log_level::warn, "summary.unknown",
           {{"count", static_cast<std::int64_t>(claimed->unknown)},
            {"reason", "a send's lease ended before its outcome was recorded; not sent again"}});
  std::int64_t sent = 0, failed = 0;
  // One at a time: a run's subrequests are what the platform counts, not its parallelism, and a
  // failing Mailgun should not be hit by the whole batch at once.
  for (const summary_claim& claim : claimed->claims) {
    auto outcome = co_await summarize_and_send(ctx, *services, claim, "sweep");
    if (outcome && !outcome->lost) ++sent;
    else if (!outcome) {
      ++failed;
      ex.log(log_level::warn, "summary.send_failed", {{"session_id", claim.session_id},
                                                      {"reason", outcome.err().message}});
    }
  }
  ex.log(log_level::info, "summary.sweep",
         {{"trigger", trigger}, {"claimed", static_cast<std::int64_t>(claimed->claims.size())}, {"sent", sent},
          {"failed", failed}, {"more", claimed->more}});
  respond_json(ex, 200,
               detail::dump(json{{"claimed", claimed->claims.size()}, {"sent", sent}, {"failed", failed},
                                 {"unknown", claimed->unknown}, {"more", claimed->more || handoffs.more},
                                 {"handoffs", json{{"team_emails", handoffs.team_emails},
                                                   {"forwards", handoffs.forwards},
                                                   {"notifies", handoffs.notifies},
                                                   {"failed", handoffs.failed}}}}));
}

}  // namespace salient::summary
