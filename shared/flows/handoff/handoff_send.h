#pragma once
// The handoff's emails, as the button, the inbound route and the sweep send them: the team's
// email (the lead card, the summary so far by the rules, the transcript, Reply-To the
// conversation's own address), the visitor's later lines in the same thread, a reply shown to
// the visitor's verified inbox, and a bounce to a team member whose reply was not shown. Private
// to flows/handoff.
#include <string>
#include <vector>

#include "salient/core/result.h"
#include "salient/flows/context.h"
#include "salient/render/handoff_templates.h"
#include "salient/upstream/store/handoff_store.h"

#include "flows/summary/summary_send.h"

namespace salient::handoff {

/// The reply address of a handoff: reply+<reply_id>@<MAILGUN_DOMAIN>.
std::string reply_address(std::string_view reply_id, std::string_view mailgun_domain);

/// The sentence the visitor reads once the team has been told.
std::string started_message(const config& cfg, const agent_config& agent);

/// The team's email for a claimed handoff (kind "handoff": its outcome marks the handoff's team
/// email sent, failed for a retry, or unknown). Errors: send_email's, or misconfigured when the
/// agent has no team.
task<result<void>> send_team_email(function_context ctx, const summary::services& s, const handoff_record& h,
                                   const summary_claim& conversation, std::string trigger);

/// The visitor's lines since the last email, in the team email's thread.
task<result<void>> send_forward(function_context ctx, const summary::services& s, const handoff_lines& lines);

/// The team's replies the visitor has not seen, to their verified address.
task<result<void>> send_notify(function_context ctx, const summary::services& s, const handoff_lines& lines);

/// A short note to a team member about their reply (never to anyone off the team list).
task<result<void>> send_bounce(function_context ctx, const summary::services& s, const team_member& to,
                               bounce_reason reason, std::string original_subject);

}  // namespace salient::handoff
