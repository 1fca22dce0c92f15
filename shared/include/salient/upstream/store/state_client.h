#pragma once
// The state store as the core sees it: Postgres functions called over Supabase's PostgREST
// API (`POST {SUPABASE_URL}/rest/v1/rpc/<fn>` with named JSON args; see docs/UPSTREAMS.md and
// db/migrations/). This file builds those effects and parses their results and PostgREST's
// error bodies into typed values.
//
// A chat turn costs one round trip before the answer and one after: begin_turn stores the
// visitor's message (chat), claim_turn hands it to one stream together with everything the
// LLM call needs (history, persona, profile), finish_turn stores the answer and its cost.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "salient/core/exchange.h"
#include "salient/core/result.h"

namespace salient {

class environment;

struct state_store {
  std::string base_url;  ///< SUPABASE_URL without a trailing slash
  std::string key;       ///< SUPABASE_KEY: a JWT (legacy service_role) or an sb_secret_… key; may be empty locally
  int timeout_ms = 10000;
};

/// From SUPABASE_URL / SUPABASE_KEY; misconfigured when SUPABASE_URL is unset or not http(s).
result<state_store> state_store_from_env(const environment& env, int timeout_ms);

/// The RPC effect for function `fn` with the JSON object `args`.
outbound_request rpc_request(const state_store& store, std::string_view fn, std::string args_json);

/// A failed RPC as PostgREST reports it: `{code, message, details, hint}` with an HTTP status.
/// `status` 0 means the request never got an answer (connect error, timeout).
struct postgrest_error {
  int status = 0;
  std::string code;  ///< SQLSTATE (`23505`, `22P02`, `PT404`) or PostgREST's own `PGRST…`
  std::string message, details, hint;
};

/// nullopt for a 2xx answer; otherwise the error, with whatever of the body could be read.
std::optional<postgrest_error> parse_postgrest_error(const fetch_result& r);

/// What the core does about a failed RPC, as an error safe to show the visitor:
///   unreachable, 5xx      → unavailable (503, worth retrying)
///   404 PGRST202          → misconfigured (the migrations were not run there)
///   404 PT404 / 403 PT403 → not_found / forbidden; PT404 from a function that takes an agent
///                           (begin_turn, claim_turn, session_history, list_sessions) is the
///                           tenant's switched-off agent (salient_require_agent_enabled): "not enabled"
///   409 (23505, 23503)    → conflict
///   any other 4xx         → internal (we sent something the database rejected: a bug)
/// The PostgREST message and details go to the log, never to the visitor.
error to_error(const postgrest_error& e, std::string_view fn);

// ---- begin_turn: store the visitor's message (idempotent per session + client key) ----------

/// A rate limit said no (db/functions/rate_limits.sql, turns.sql): which one, and the wait.
struct rate_refusal {
  std::string limit;       ///< "messages_per_minute", "tokens_per_day" (begin_turn), "emails_per_hour"
  std::string scope;       ///< "ip", "session", "tenant"
  int retry_after_s = 1;
};

struct begin_turn_args {
  std::string tenant, agent, session_key, idempotency_key, message_id, content;
  std::string limits_json;  ///< p_limits (flows/rate_limits.h); empty = none
};
struct begun_turn {
  std::string turn_id;     ///< the stored user message's id
  std::string session_id;
  bool duplicate = false;  ///< this idempotency key was seen before: nothing new stored
  std::optional<rate_refusal> limited;  ///< set: refused by a limit, nothing stored (no ids)
};
outbound_request begin_turn_request(const state_store& store, const begin_turn_args& args);
result<begun_turn> parse_begin_turn(const fetch_result& r);

// ---- claim_turn: hand a stored turn to exactly one stream, with the LLM's context -----------

struct history_message {
  std::string role;  ///< "user" or "assistant"
  std::string content;
};
struct agent_persona {
  std::string code, name, system_prompt;
};
struct visitor_profile {
  std::string customer_name, email, phone;
  std::vector<std::string> products_of_interest, services_of_interest;
  /// The email was proven with a one-time code; false: the site's page said so (identify()).
  bool verified = false;
};
struct claimed_turn {
  enum class status { claimed, already_claimed, not_found } state = status::not_found;
  std::string message;     ///< the visitor's text (status::claimed)
  std::string session_id;
  std::vector<history_message> history;   ///< the session before this turn, oldest first
  std::optional<agent_persona> persona;         ///< none configured: the agent's built-in prompt
  std::optional<visitor_profile> profile;
  double month_cost_usd = 0;              ///< the tenant's model spend this calendar month (UTC)
  /// What the chat function's retrieval stored with the turn (attach_retrieval): an object's
  /// JSON text, or empty when nothing was stored (local retrieval).
  std::string retrieval_json;
  /// The conversation's open handoff, when a person from the team has been asked in.
  struct handoff_state {
    bool quiet = false;             ///< within handoff.quiet_minutes of its start or a reply: no answer
    bool resumed_note_due = false;  ///< the quiet spell ended and the visitor was not told yet
  };
  std::optional<handoff_state> handoff;
};
inline constexpr int default_history_limit = 20;
/// `claim`: this request's token (empty: none): the same token may claim the turn again.
outbound_request claim_turn_request(const state_store& store, std::string_view tenant, std::string_view turn_id,
                                    int history_limit = default_history_limit, std::string_view claim = {});
result<claimed_turn> parse_claim_turn(const fetch_result& r);

// ---- attach_retrieval: what Pinecone found for a turn, stored before the stream claims it -----

/// `retrieval_json` is an object (pinecone_retrieval.h). Only an unclaimed turn takes it.
outbound_request attach_retrieval_request(const state_store& store, std::string_view tenant, std::string_view turn_id,
                                          std::string_view retrieval_json);
/// Ok when stored; an error when the turn is gone, already claimed, or the store failed.
result<void> parse_attach_retrieval(const fetch_result& r);

// ---- turn_answer: the stored answer of a turn, for a stream resumed after a drop ------------

struct turn_answer {
  enum class status { answered, pending, not_found } state = status::not_found;
  std::string message_id, content;  ///< status::answered
  std::string citations_json;       ///< metadata.citations (a JSON array's text), or empty for none
  bool interrupted = false;         ///< metadata.interrupted: the answer was cut short
};
outbound_request turn_answer_request(const state_store& store, std::string_view tenant, std::string_view turn_id);
result<turn_answer> parse_turn_answer(const fetch_result& r);

// ---- identify: the visitor's email and name on their session's profile ----------------------

struct identify_args {
  std::string tenant, agent, session_key;
  std::optional<std::string> email, name;  ///< at least one; a missing one keeps what was stored
};
outbound_request identify_request(const state_store& store, const identify_args& args);
/// True when stored; false when the session key has no conversation yet (nothing stored).
result<bool> parse_identify(const fetch_result& r);

// ---- finish_turn: store the answer (and, for model answers, its llm_requests row) -----------

struct finish_turn_args {
  std::string tenant, turn_id, message_id, content, metadata_json;
  std::string llm_request_json;  ///< an llm_requests object (model, tokens, cost…); empty for none
};
outbound_request finish_turn_request(const state_store& store, const finish_turn_args& args);
result<void> parse_finish_turn(const fetch_result& r);

// ---- session_history / list_sessions: what the visitor's browser shows ----------------------

struct stored_message {
  std::string id, role, content, created_at;
  std::string mode;  ///< metadata.mode of an answer ("offline", …); empty when unknown
  std::string citations_json;  ///< metadata.citations of an answer (a JSON array's text), or empty
  std::string name;            ///< a team member's reply (role "team"): metadata.name, from salient.yaml
};
struct session_history {
  std::string session_id;  ///< empty: no such session (a new chat, not an error)
  std::vector<stored_message> messages;  ///< oldest first
  std::optional<visitor_profile> profile;  ///< what the conversation knows of its visitor, if anything
};
inline constexpr int default_history_page = 50;
outbound_request session_history_request(const state_store& store, std::string_view tenant, std::string_view agent,
                                         std::string_view session_key, int limit = default_history_page);
result<session_history> parse_session_history(const fetch_result& r);

struct session_summary {
  std::string session_key, title, created_at, last_activity_at;
  std::int64_t message_count = 0;
};
inline constexpr std::size_t max_listed_sessions = 50;
outbound_request list_sessions_request(const state_store& store, std::string_view tenant, std::string_view agent,
                                       const std::vector<std::string>& session_keys);
result<std::vector<session_summary>> parse_list_sessions(const fetch_result& r);

}  // namespace salient
