#include "flows/stream/handoff_turn.h"

#include "core/json.h"
#include "flows/handoff/inbound_mail.h"
#include "flows/rate_limits.h"
#include "flows/store_retry.h"
#include "salient/upstream/store/handoff_store.h"

namespace salient {

task<void> hold_for_team(function_context ctx, const agent_config& agent, const state_store& store,
                         const claimed_turn& claim, std::string_view turn_id, answer_events& events) {
  exchange& ex = ctx.ex;
  const auto& team = ctx.cfg.handoff_team_of(agent);
  std::string who = team.empty() ? "the team" : team_names(team);
  std::string note = "Your message is with " + who + ". They'll reply here.";
  events.meta_handoff();
  events.token(note);
  std::string message_id = uuid_v7(ex.req().now_ms, ctx.rng);
  auto finished = parse_finish_turn(co_await fetch_idempotent(
      ex, finish_turn_request(store, {ctx.cfg.app.tenant, std::string(turn_id), message_id, note,
                                  R"({"mode":"handoff","handoff":"quiet"})", {}}),
      effect_policy::survive_cancel));
  if (!finished) {
    ex.log(log_level::warn, "stream.store_failed", {{"agent", agent.code}, {"reason", finished.err().message}});
    events.error(make_error(errc::unavailable, "the answer could not be saved"), false);
  }
  ex.log(log_level::info, "stream.answered",
         {{"tenant", ctx.cfg.app.tenant}, {"agent", agent.code}, {"session_id", claim.session_id}, {"mode", "handoff"}});
  events.set_handoff("quiet");
  events.done(finished ? std::string_view(message_id) : std::string_view());
}

task<std::string_view> request_handoff(function_context ctx, const agent_config& agent, const state_store& store,
                                       std::string_view turn_id) {
  const config& cfg = ctx.cfg;
  if (cfg.handoff_team_of(agent).empty()) co_return std::string_view();
  handoff_request_args args{cfg.app.tenant, std::string(turn_id), handoff::new_reply_id(ctx.rng), ctx.ex.req().now_ms,
                            cfg.handoff.reply_days, cfg.handoff.quiet_minutes, cfg.handoff.per_session_per_day,
                            // emails_per_hour by address and tenant (the stream knows the turn, not the
                            // session key the per-conversation count is kept under)
                            email_limits_json(ctx, agent, "")};
  auto asked = parse_handoff_request(co_await ctx.ex.fetch(handoff_request_request(store, args),
                                                           effect_policy::survive_cancel));
  if (!asked) {
    ctx.ex.log(log_level::warn, "handoff.request_failed", {{"agent", agent.code}, {"reason", asked.err().message}});
    co_return std::string_view();
  }
  if (*asked == handoff_request_status::requested)
    ctx.ex.log(log_level::info, "handoff.requested", {{"agent", agent.code}, {"trigger", "intent"}});
  co_return *asked == handoff_request_status::requested ? std::string_view("requested") : std::string_view();
}

}  // namespace salient
