#pragma once
// The state store's one-time-code and email RPCs (db/functions/{otp,email,rate_limits}.sql) as
// the core calls them: effects built here, their answers parsed into typed values. The rules
// themselves (expiry, tries, windows, locks) live in those SQL functions, so that they hold
// across every edge instance; the core sends keyed hashes and the request's clock.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "salient/core/exchange.h"
#include "salient/core/result.h"
#include "salient/upstream/store/state_client.h"

namespace salient {

// ---- salient_otp_issue ------------------------------------------------------------------------

struct otp_issue_args {
  std::string tenant, agent, purpose, email, email_key, session_key, code_hash, ip_key;
  std::int64_t now_ms = 0;
  int ip_limit = 10, daily_cap = 500;
  std::string email_limits_json;   ///< p_email_limits (flows/rate_limits.h); empty = none
};
struct otp_issued {
  enum class status { issued, nothing_held, limited, no_session } state = status::limited;
  std::string otp_id, session_id;  ///< status::issued (session_id empty for delete_data)
  std::string limit;               ///< status::limited: email | ip | tenant | locked | emails_per_hour
  int retry_after_s = 0;
  std::string scope;               ///< emails_per_hour: ip | session | tenant
};
outbound_request otp_issue_request(const state_store& store, const otp_issue_args& args);
result<otp_issued> parse_otp_issue(const fetch_result& r);

// ---- salient_otp_verify -----------------------------------------------------------------------

struct otp_verify_args {
  std::string tenant, agent, purpose, email, email_key, session_key, code_hash, consent_version;
  std::int64_t now_ms = 0;
};
struct erased_rows {
  std::int64_t sessions = 0, messages = 0, summaries = 0, profiles = 0, emails = 0;
};
struct otp_verified {
  enum class status { verified, erased, wrong, expired, dead, locked } state = status::expired;
  int tries_left = 0;                     ///< status::wrong
  int retry_after_s = 0;                  ///< status::locked
  std::optional<visitor_profile> profile; ///< status::verified
  std::vector<std::string> session_keys;  ///< status::verified: the profile's conversations with this agent
  erased_rows erased;                     ///< status::erased
};
outbound_request otp_verify_request(const state_store& store, const otp_verify_args& args);
result<otp_verified> parse_otp_verify(const fetch_result& r);

// ---- salient_email_queue / salient_email_result -----------------------------------------------

/// What is stored of an email before it is sent: `text` and `html` with any code masked.
/// `to` is the stored recipient (an erasure's confirmation stores no address).
struct email_record {
  std::string tenant, session_id, to, subject, text, html, kind, otp_id;
  std::string summary_id;  ///< a summary's email: its outcome marks the summary sent or for retry
  std::string handoff_id;  ///< a handoff's email (kind "handoff": its outcome marks the team email)
};
outbound_request email_queue_request(const state_store& store, const email_record& rec);
/// The email_events row's id.
result<std::string> parse_email_queue(const fetch_result& r);

struct email_outcome_args {
  std::string tenant, email_id;
  bool sent = false;
  /// Not sent, but the request left and no answer came back (a timeout, a dropped connection):
  /// Mailgun may have the message. Stored as "unknown"; a summary is then never sent again.
  bool unknown = false;
  std::string provider_id;             ///< Mailgun's message id when sent
  std::string provider_response_json;  ///< an object (mailgun.h provider_response_json)
  std::int64_t now_ms = 0;
};
outbound_request email_result_request(const state_store& store, const email_outcome_args& args);
result<void> parse_email_result(const fetch_result& r);

}  // namespace salient
