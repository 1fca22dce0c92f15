// The lead card by the model, or by the rules when the model cannot be asked or fails
// (summarize.h has the order of checks).
#include "flows/summary/summarize.h"

#include <cstdint>
#include <optional>
#include <utility>

#include "salient/core/instance_memory.h"
#include "salient/upstream/openrouter/structured_output.h"

#include "flows/summary/lead_model.h"

namespace salient {
namespace {

/// The rules' card, and the log line that says why (the reason and the agent; never text).
summary_result by_rules(function_context& ctx, const agent_config& agent,
                        const std::vector<lead_rules::transcript_line>& transcript, const lead_rules::rules_context& rc,
                        std::string reason, std::string_view detail = {}) {
  summary_result out;
  out.card = lead_rules::extract(transcript, rc);
  out.fallback_reason = std::move(reason);
  std::vector<log_field> fields{{"tenant", ctx.cfg.app.tenant}, {"agent", agent.code}, {"reason", out.fallback_reason}};
  if (!detail.empty()) fields.push_back({"detail", std::string(detail)});
  ctx.ex.log(out.fallback_reason == "no_llm_key" ? log_level::info : log_level::warn, "summary.model_fallback",
             std::move(fields));
  return out;
}

}  // namespace

task<summary_result> summarize_lead(function_context ctx, const agent_config& agent,
                                    std::vector<lead_rules::transcript_line> transcript, lead_rules::rules_context rc,
                                    double month_cost_usd) {
  exchange& ex = ctx.ex;
  auto endpoint = llm_endpoint_from_env(ctx.env);
  if (!endpoint) co_return by_rules(ctx, agent, transcript, rc, "llm_misconfigured", endpoint.err().message);
  if (!*endpoint) co_return by_rules(ctx, agent, transcript, rc, "no_llm_key");
  const double budget = ctx.cfg.budget.monthly_usd;
  if (budget > 0 && month_cost_usd >= budget) co_return by_rules(ctx, agent, transcript, rc, "budget_spent");
  circuit_breaker& breaker = ctx.memory.breaker(ctx.cfg.app.tenant);
  if (breaker.open(ex.req().now_ms)) co_return by_rules(ctx, agent, transcript, rc, "llm_unavailable");

  const llm_endpoint& to = **endpoint;
  structured_outcome asked =
      co_await ask_structured(ex, to, agent.llm, ctx.cfg.app.name, lead_model::prompt_messages(transcript, ctx.cfg.app.name),
                              lead_model::lead_spec(), /*model_supports_schema=*/true);

  summary_result out;
  if (asked.value) {
    breaker.success();
    out.card = lead_model::card_from_model(*asked.value, transcript, rc);
  } else if (ex.cancelled()) {
    out = by_rules(ctx, agent, transcript, rc, "cancelled");
  } else if (asked.failure) {
    // As for the chat's answers: only a failure that says the upstream is struggling counts.
    const auto& r = ctx.cfg.resilience;
    if (asked.failure->retryable &&
        breaker.failure(ex.req().now_ms, r.breaker_failures, std::int64_t{r.breaker_window_seconds} * 1000,
                        std::int64_t{r.breaker_cooldown_seconds} * 1000))
      ex.log(log_level::warn, "llm.breaker_opened",
             {{"tenant", ctx.cfg.app.tenant}, {"cooldown_seconds", std::int64_t{r.breaker_cooldown_seconds}}});
    out = by_rules(ctx, agent, transcript, rc, "upstream_error", asked.failure->reason);
  } else {
    breaker.success();  // the model answered, only not well: the upstream itself is fine
    out = by_rules(ctx, agent, transcript, rc, "invalid_answer", asked.value.err().message);
  }
  out.calls = asked.calls;
  if (asked.calls > 0) {
    out.model = agent.llm.model;
    out.usage = asked.usage;
  }
  ex.log(log_level::info, "summary.lead",
         {{"tenant", ctx.cfg.app.tenant}, {"agent", agent.code}, {"method", out.card.method},
          {"outcome", out.card.outcome}, {"calls", static_cast<std::int64_t>(out.calls)}});
  co_return out;
}

}  // namespace salient
