#pragma once
// One conversation's lead card: by the model when it can be asked, else by the rules.
//
//   rules_context rc = business_contacts(ctx.cfg, ctx.knowledge);   // once per request
//   summary_result r = co_await summarize_lead(ctx, agent, transcript, rc, month_cost_usd);
//   store r.card (lead_card_json), and an llm_requests row when r.calls > 0
//
// The model is asked (lead_model.h, through ask_structured) when OPENROUTER_API_KEY is set,
// the month's budget (budget.monthly_usd) is not spent and the tenant's breaker is closed, as
// for the chat's answers. Any failure — no key, a bad OPENROUTER_BASE_URL, the budget, the
// breaker, an upstream error, an answer still invalid after the repair — falls back to
// lead_rules::extract and logs `summary.model_fallback` with the reason (never the transcript).
// An upstream failure a retry could help counts against the breaker; no retry here (the sweep
// has a bounded number of subrequests per run, and the rules card is a fine answer meanwhile).
#include <string>
#include <string_view>
#include <vector>

#include "salient/config/config.h"
#include "salient/flows/context.h"
#include "salient/knowledge/knowledge.h"
#include "salient/upstream/openrouter/llm_client.h"

#include "flows/summary/lead_rules.h"

namespace salient {

struct summary_result {
  lead_rules::lead_card card;  ///< card.method: "model" or "rules"
  /// Why the rules made the card: "" when the model did; else no_llm_key, llm_misconfigured,
  /// budget_spent, llm_unavailable (breaker open), upstream_error, invalid_answer, cancelled.
  std::string fallback_reason;
  /// The model asked and what its calls cost, for the llm_requests row. Set whenever calls > 0,
  /// even when the answer was not used (the calls were made, and billed).
  std::string model;
  llm_usage usage;
  int calls = 0;  ///< chat/completions requests sent: 0 … 3
};

/// The card for `transcript` (lines in order, roles "user" | "assistant"). Never fails.
/// `month_cost_usd`: what the tenant's model calls cost so far this month (the store knows).
task<summary_result> summarize_lead(function_context ctx, const agent_config& agent,
                                    std::vector<lead_rules::transcript_line> transcript, lead_rules::rules_context rc,
                                    double month_cost_usd);

/// The business's own emails and phones, never to be taken for the visitor's: from salient.yaml
/// (email.from, the offline answers, the personas' prompts) and the local knowledge index's
/// chunks. Deduplicated (emails normalised, phones by number); country = app.country.
lead_rules::rules_context business_contacts(const config& cfg, const knowledge_index& knowledge);

}  // namespace salient
