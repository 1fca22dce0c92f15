#pragma once
// The state store as the core sees it: Postgres functions called over Supabase's PostgREST
// API (`POST {SUPABASE_URL}/rest/v1/rpc/<fn>` with named JSON args; see UPSTREAM-APIS.md).
// This file builds those effects and parses their results into typed values; a chat turn
// costs one round trip before the answer (begin_turn) and one after (finish_turn).
#include <string>
#include <string_view>

#include "salient/exchange.h"
#include "salient/result.h"

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

struct begin_turn_args {
  std::string tenant, agent, session_key, idempotency_key, message_id, content;
};
struct begun_turn {
  std::string turn_id;     ///< the stored user message's id
  std::string session_id;
  bool duplicate = false;  ///< this idempotency key was seen before: nothing new stored
};

struct claimed_turn {
  enum class status { claimed, already_claimed, not_found } state = status::not_found;
  std::string message;     ///< the visitor's text (status::claimed)
  std::string session_id;
};

struct finish_turn_args {
  std::string tenant, turn_id, message_id, content, metadata_json;
};

outbound_request begin_turn_request(const state_store& store, const begin_turn_args& args);
outbound_request claim_turn_request(const state_store& store, std::string_view tenant, std::string_view turn_id);
outbound_request finish_turn_request(const state_store& store, const finish_turn_args& args);

result<begun_turn> parse_begin_turn(const fetch_result& r);
result<claimed_turn> parse_claim_turn(const fetch_result& r);
result<void> parse_finish_turn(const fetch_result& r);

}  // namespace salient
