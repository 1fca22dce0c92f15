#pragma once
// Sending one email, the same way for every flow that sends (codes now; summaries, handoffs and
// admin sign-in later): the email_events row is written first (queued, with the stored copy's
// body, codes masked), then Mailgun is asked, then the row gets the outcome (sent with Mailgun's
// id, or failed with its answer). Only then is the send reported, so no email goes out
// unrecorded and a failure is never reported as sent.
//
// No automatic retry: Mailgun may have taken a message whose answer was lost, and a visitor who
// gets two codes is confused; the visitor is told to try again instead.
#include <string>

#include "salient/core/result.h"
#include "salient/flows/context.h"
#include "salient/render/templates.h"
#include "salient/upstream/mailgun/mailgun.h"
#include "salient/upstream/store/otp_store.h"

namespace salient {

struct outgoing_email {
  email_message message;  ///< what Mailgun gets
  email_record record;    ///< what email_events keeps (tenant, kind, masked bodies, links)
};

/// The email brand of the agent's pages and emails, from salient.yaml.
email_brand brand_of(const config& cfg, const agent_config& agent);

/// The sender, "Name <address>": email.from (default noreply@ the Mailgun domain) and
/// email.from_name (default app.name), the name quoted.
std::string sender_of(const config& cfg, const mailgun_endpoint& ep);

/// Ok once Mailgun took the message (its id is stored). Errors: unavailable (the store or
/// Mailgun could not be reached or refused for now; retry_after_s from Mailgun's 429) with code
/// "send_failed", or misconfigured (Mailgun refused the key or the domain).
/// `policy`: survive_cancel for an email that must not be cut off half-recorded when the client
/// leaves (a summary, whose row would otherwise wait for its lease to end as `unknown`).
task<result<void>> send_email(function_context ctx, const state_store& store, const mailgun_endpoint& ep,
                              outgoing_email email, effect_policy policy = effect_policy::cancel_with_client);

}  // namespace salient
