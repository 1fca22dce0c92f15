#pragma once
// The state store's handoff RPCs (db/functions/handoffs.sql) as the core calls them. A handoff
// puts a person from the team into a conversation by email: the rules that make its email go out
// once (claims with a lease, retries with backoff) and a reply count once (Mailgun's token, the
// reply's Message-Id) live in those SQL functions; the team email's outcome reaches them through
// salient_email_result (email_record::handoff_id).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "salient/core/exchange.h"
#include "salient/core/result.h"
#include "salient/upstream/store/state_client.h"
#include "salient/upstream/store/summary_store.h"

namespace salient {

/// A handoff as the store describes it (H in the SQL file's header).
struct handoff_record {
  std::string id, reply_id, agent, session_id;
  std::string status;      ///< open | closed
  std::string team_email;  ///< pending | sending | sent | failed | unknown
  std::string created_at, expires_at, quiet_until, last_team_reply_at, thread_message_id;
};

// ---- salient_handoff_start: the visitor pressed "Talk to a person" -----------------------------

struct handoff_start_args {
  std::string tenant, agent, session_key;
  std::string reply_id;  ///< a fresh one (used only when a new handoff is made)
  std::string trigger = "button";
  std::int64_t now_ms = 0;
  int reply_days = 30, quiet_minutes = 15, lease_seconds = 300, per_session_per_day = 3;
  std::string email_limits_json;  ///< p_email_limits (flows/rate_limits.h); empty = none
};
struct handoff_start {
  /// claimed: the team email is this caller's to send (`claim` holds the conversation);
  /// open: a handoff is already under way (its email sent or being sent).
  enum class status { claimed, open, no_conversation, limited } state = status::no_conversation;
  handoff_record handoff;
  std::optional<summary_claim> claim;
  int retry_after_s = 0;
  std::string limit, scope;  ///< limited by rate_limits: "emails_per_hour" and its scope; else empty
};
outbound_request handoff_start_request(const state_store& store, const handoff_start_args& args);
result<handoff_start> parse_handoff_start(const fetch_result& r);

// ---- salient_handoff_request: the visitor's own words asked for a person (the stream) ----------

struct handoff_request_args {
  std::string tenant, turn_id, reply_id;
  std::int64_t now_ms = 0;
  int reply_days = 30, quiet_minutes = 15, per_session_per_day = 3;
  std::string email_limits_json;  ///< p_email_limits (flows/rate_limits.h); empty = none
};
/// requested: a handoff now waits for its email (the widget sends it at once, else the sweep).
enum class handoff_request_status { requested, open, limited };
outbound_request handoff_request_request(const state_store& store, const handoff_request_args& args);
result<handoff_request_status> parse_handoff_request(const fetch_result& r);

// ---- salient_handoff_lookup / salient_handoff_reply: a team member's emailed reply -------------

struct handoff_lookup {
  enum class status { ok, unknown, expired } state = status::unknown;
  handoff_record handoff;
};
outbound_request handoff_lookup_request(const state_store& store, std::string_view tenant,
                                        std::string_view reply_id, std::int64_t now_ms);
result<handoff_lookup> parse_handoff_lookup(const fetch_result& r);

/// salient_inbound_token_take: Mailgun's token, once, before anything else is looked at.
enum class token_take_status { taken, duplicate, replayed };
outbound_request inbound_token_take_request(const state_store& store, std::string_view tenant, std::string_view token,
                                            std::string_view mail_message_id, std::int64_t now_ms);
result<token_take_status> parse_inbound_token_take(const fetch_result& r);

struct handoff_reply_args {
  std::string tenant, reply_id;
  std::string token;  ///< empty: taken already (salient_inbound_token_take)
  std::string mail_message_id, name, text;
  std::int64_t now_ms = 0;
  int quiet_minutes = 15;
};
struct handoff_reply {
  /// replayed: Mailgun's token was used before by another message (a captured post, altered).
  enum class status { stored, duplicate, replayed, unknown, expired } state = status::unknown;
  std::string message_id, session_id;
};
outbound_request handoff_reply_request(const state_store& store, const handoff_reply_args& args);
result<handoff_reply> parse_handoff_reply(const fetch_result& r);

// ---- salient_session_updates: what the open chat polls for during a handoff -------------------

struct session_updates_args {
  std::string tenant, agent, session_key;
  std::string after;      ///< ISO time of the newest message the client holds; empty: none
  bool mark_seen = true;  ///< false for the closed widget's unread badge
  std::int64_t now_ms = 0;
};
struct session_updates {
  std::optional<handoff_record> handoff;  ///< the open one, if any
  std::vector<stored_message> messages;   ///< newer than `after`, oldest first
  int unread = 0;                         ///< team messages the visitor has not seen
};
outbound_request session_updates_request(const state_store& store, const session_updates_args& args);
result<session_updates> parse_session_updates(const fetch_result& r);

// ---- salient_handoff_due and its marks: the sweep's share of handoffs --------------------------

struct handoff_due_args {
  std::string tenant;
  std::int64_t now_ms = 0;
  int batch_seconds = 60, notify_minutes = 10, lease_seconds = 300, limit = 10;
};
struct handoff_lines {
  handoff_record handoff;
  std::string email;    ///< notifies: the visitor's verified address
  std::string through;  ///< the newest line's time, for the mark once sent
  std::string subject;  ///< forwards: the team email's subject (the thread's), when the store has it
  std::vector<stored_message> messages;
};
struct handoff_due {
  std::vector<std::pair<handoff_record, summary_claim>> team_emails;  ///< to send (claimed)
  std::vector<handoff_lines> forwards;  ///< the visitor's new lines, for the team
  std::vector<handoff_lines> notifies;  ///< replies the visitor has not seen, for their inbox
  bool more = false;
};
outbound_request handoff_due_request(const state_store& store, const handoff_due_args& args);
result<handoff_due> parse_handoff_due(const fetch_result& r);

/// salient_handoff_forwarded (`forwarded` true) or salient_handoff_notified: lines up to
/// `through` were emailed.
outbound_request handoff_mark_request(const state_store& store, std::string_view tenant, std::string_view handoff_id,
                                      std::string_view through, bool forwarded);
result<void> parse_handoff_mark(const fetch_result& r);

}  // namespace salient
