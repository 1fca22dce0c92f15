#pragma once
// Summarizing one claimed conversation and emailing it to the sales team: what the "Email
// summary" button and the scheduled sweep share (summary_flow.cpp, sweep.cpp). Private to
// flows/summary.
//
// One conversation costs: the model (0 … 3 calls; summarize.h), salient_summary_store (the
// summary stored as `sending`, while the claim still holds), then send_email (salient_email_queue,
// Mailgun, salient_email_result, which marks the summary sent or for retry). So 4 subrequests with
// the model's one call, plus the claim once per run.
#include <string>

#include "salient/core/result.h"
#include "salient/flows/context.h"
#include "salient/render/summary_templates.h"
#include "salient/upstream/mailgun/mailgun.h"
#include "salient/upstream/store/summary_store.h"

#include "flows/summary/lead_rules.h"

namespace salient::summary {

/// The lease a claim and a `sending` summary hold: longer than the model's three calls and the
/// send together (llm.timeout_ms is at most 300 s, but summaries rarely take 10).
inline constexpr int lease_seconds = 300;

/// What a summary needs besides the request: the store, Mailgun, the link's secret and base URL,
/// the business's own contact details (never the visitor's).
struct services {
  state_store store;
  mailgun_endpoint mailgun;
  std::string link_secret;  ///< SALIENT_STREAM_SECRET: signs the transcript links
  std::string public_url;   ///< SALIENT_PUBLIC_URL without a trailing slash; empty: links are site-relative
  lead_rules::rules_context business;
};

/// Errors: misconfigured (logged with the reason) when the store, Mailgun or the link secret is
/// missing.
/// `business`: also gather the business's own contact details (a scan of the knowledge index's
/// chunks), which only a lead card needs; a team member's reply does not.
result<services> services_from(function_context& ctx, bool business = true);

struct sent_summary {
  bool lost = false;    ///< the claim ended before the summary was stored: nothing was sent
  std::string sent_at;  ///< ISO time the email left (the request's clock)
};

/// Summarizes `claim` (trigger "button" | "sweep") and emails it to the agent's sales recipient.
/// Errors: send_email's (the summary stays for a retry by the sweep), the store's, or
/// misconfigured when the agent has no recipient.
task<result<sent_summary>> summarize_and_send(function_context ctx, const services& s, const summary_claim& claim,
                                             std::string trigger);

/// The agent a stored conversation belongs to: its own when enabled, else the default agent.
const agent_config* agent_of(const config& cfg, std::string_view code);

/// The stored lead card (lead_card_json's object) as the templates show it.
lead_view lead_view_of(std::string_view lead_json, bool email_verified);

/// "2026-12-07T10:02:03.5+00:00" → "2026-12-07 10:02 UTC"; anything else as given.
std::string display_time(std::string_view iso);

}  // namespace salient::summary
