#pragma once
// salient.yaml's rate_limits (issue 19) as the functions apply them. The counting is the state
// store's (db/functions/rate_limits.sql, turns.sql), so a limit holds across every instance;
// this file says what is counted and answers a refusal the same way on every route: 429, code
// "rate_limited", Retry-After, and a sentence the widget and the page show as it is.
//
//   chat        messages_per_minute and tokens_per_day, inside salient_begin_turn (chat_limits_json):
//               before the message is stored and before Pinecone or the model is called
//   emails      emails_per_hour (email_limits_json), inside the store function that claims an
//               email a visitor's action sends: a one-time code, the summary button, "Talk to a
//               person" (the button, or the visitor's words on the offline route)
// A client address is counted by a keyed hash (SALIENT_STREAM_SECRET), IPv6 by its /64: the store
// never holds it in clear. Without one (a host that gives none) only the session and tenant
// limits hold.
#include <optional>
#include <string>
#include <string_view>

#include "salient/core/result.h"
#include "salient/flows/context.h"
#include "salient/upstream/store/state_client.h"

namespace salient {

/// The keyed hash the store counts this request's client address by; empty without an address.
std::string client_ip_key(const function_context& ctx);

/// salient_begin_turn's p_limits for the agent and this client.
std::string chat_limits_json(const function_context& ctx, const agent_config& agent);

/// The answer to a refusal: 429 "rate_limited" with its wait, in words the visitor reads.
error rate_limited_error(const rate_refusal& refused);

/// The p_email_limits of the store functions that claim an email a visitor's action sends
/// (salient_otp_issue, salient_summary_claim, salient_handoff_start, salient_handoff_request):
/// the agent's emails_per_hour for this client address, conversation (empty key: none) and
/// tenant, taken there all or nothing with the email's own claim.
std::string email_limits_json(const function_context& ctx, const agent_config& agent, std::string_view session_key);

/// The refusal to answer when a store function said "limited" by one of these rate limits
/// (`limit` names one: messages_per_minute, tokens_per_day, emails_per_hour); nullopt when the
/// limit was the feature's own (the caller words that one).
std::optional<error> rate_limit_refusal(std::string_view limit, std::string_view scope, int retry_after_s);

}  // namespace salient
