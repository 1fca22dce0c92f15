#pragma once
// The handoff: a visitor asks for a person, the team answers from its inbox. Served by the
// summary function, which holds the lead card and the email machinery it needs. Private to
// flows/handoff and flows/summary.
//
//   POST /a/{agent}/handoff {session_key}   "Talk to a person" (handoff_routes.cpp)
//        → 200 started | open (already under way), with the sentence the visitor reads
//          | 202 queued (the email failed for now: the sweep retries) | 400 no_conversation
//          | 404 handoff_off (no team for the agent) | 429 too_many_handoffs
//   POST /mail/inbound                      Mailgun's inbound route: a team member's reply
//        (inbound_route.cpp) → 200 stored | duplicate; 406 what Mailgun must not retry
//   the sweep (handoff_sweep.cpp)           team emails still to send, the visitor's new lines
//        for the team, unseen replies for the visitor's verified inbox
#include "salient/flows/context.h"

#include "flows/summary/summary_send.h"

namespace salient::handoff {

task<void> post_handoff(function_context ctx, const agent_config& agent);

task<void> post_inbound(function_context ctx);

struct sweep_counts {
  std::int64_t team_emails = 0, forwards = 0, notifies = 0, failed = 0;
  bool more = false;
};
/// At most `limit` of each kind of work, one at a time. Never fails: a store error is logged and
/// the next run tries again.
task<sweep_counts> sweep(function_context ctx, const summary::services& s, int limit);

}  // namespace salient::handoff
