#pragma once
// The state store's summary RPCs (db/functions/summaries.sql) as the core calls them. The rules
// that make a summary go out at most once (claims with a lease, `sending` before the email,
// `unknown` after a lost send, retries with backoff) live in those SQL functions; the send's
// outcome reaches them through salient_email_result (email_record::summary_id).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "salient/core/exchange.h"
#include "salient/core/result.h"
#include "salient/upstream/store/state_client.h"

namespace salient {

// ---- salient_summary_claim ---------------------------------------------------------------------

struct summary_claim_args {
  std::string tenant;
  std::string agent, session_key;  ///< the button's conversation; both empty: the sweep
  std::int64_t now_ms = 0;
  int idle_minutes = 30, limit = 1, lease_seconds = 300, per_session_per_day = 5;
  std::string email_limits_json;  ///< the button's p_email_limits (flows/rate_limits.h); empty = none
};
/// One conversation claimed for a summary.
struct summary_claim {
  std::string claim, session_id, session_key, agent;
  std::string through;     ///< the newest message's time (ISO, as the store wrote it)
  std::string started_at;
  std::int64_t message_count = 0;
  std::vector<history_message> messages;  ///< the first visitor message and the last 60, oldest first
  std::optional<visitor_profile> profile;
  double month_cost_usd = 0;
};
struct summary_claims {
  enum class status { claimed, no_conversation, already_sent, busy, limited } state = status::claimed;
  std::vector<summary_claim> claims;
  bool more = false;        ///< the sweep left conversations for its next run
  int unknown = 0;          ///< sends whose lease ended unanswered, marked unknown by this call
  std::string sent_at;      ///< already_sent
  int retry_after_s = 0;    ///< limited
  std::string limit, scope; ///< limited by rate_limits: "emails_per_hour" and its scope; else empty
};
outbound_request summary_claim_request(const state_store& store, const summary_claim_args& args);
result<summary_claims> parse_summary_claim(const fetch_result& r);

// ---- salient_summary_store ---------------------------------------------------------------------

struct summary_store_args {
  std::string tenant, session_id, claim, trigger, method, outcome, summary, lead_json, through;
  std::string llm_json;  ///< {model, prompt_tokens, completion_tokens, total_tokens, cost} when the model was asked; else empty
  std::int64_t message_count = 0, now_ms = 0;
  int link_days = 14, lease_seconds = 300;
};
struct stored_summary {
  bool lost = false;  ///< the claim had ended: nothing stored, nothing may be sent
  std::string summary_id, link_expires_at;
};
outbound_request summary_store_request(const state_store& store, const summary_store_args& args);
result<stored_summary> parse_summary_store(const fetch_result& r);

// ---- salient_summary_transcript ----------------------------------------------------------------

struct summary_transcript {
  enum class status { ok, expired, gone } state = status::gone;
  std::string agent, outcome, method, link_expires_at;
  std::string lead_json;  ///< the stored lead card (an object's JSON text)
  std::vector<stored_message> messages;
};
outbound_request summary_transcript_request(const state_store& store, std::string_view tenant,
                                            std::string_view summary_id, std::int64_t now_ms);
result<summary_transcript> parse_summary_transcript(const fetch_result& r);

}  // namespace salient
