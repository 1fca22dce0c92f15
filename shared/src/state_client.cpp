#include "salient/state_client.h"

#include "salient/detail/json.h"
#include "salient/instance.h"

namespace salient {
namespace {

using detail::json;

/// Turns a failed or non-2xx RPC into a typed error. Unreachable or 5xx → unavailable (503, the
/// visitor may retry); 4xx means we sent something the database rejected → internal (a bug).
/// PostgREST's error body {code, message, details, hint} is logged by the caller, never shown.
std::optional<error> rpc_error(const fetch_result& r, std::string_view fn) {
  if (r.failure)
    return make_error(errc::unavailable, "the conversation store is unreachable; please try again");
  if (r.head.status >= 500)
    return make_error(errc::unavailable, "the conversation store is unavailable; please try again");
  if (r.head.status < 200 || r.head.status >= 300)
    return make_error(errc::internal, "the conversation store rejected " + std::string(fn));
  return std::nullopt;
}

std::optional<json> object_body(const fetch_result& r) {
  auto doc = detail::parse_json(r.body);
  if (!doc || !doc->is_object()) return std::nullopt;
  return doc;
}

}  // namespace

result<state_store> state_store_from_env(const environment& env, int timeout_ms) {
  std::string_view url = env.get("SUPABASE_URL");
  if (url.empty())
    return make_error(errc::misconfigured, "no conversation store configured: set SUPABASE_URL");
  if (url.substr(0, 7) != "http://" && url.substr(0, 8) != "https://")
    return make_error(errc::misconfigured, "SUPABASE_URL must start with http:// or https://");
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return state_store{std::string(url), std::string(env.get("SUPABASE_KEY")), timeout_ms};
}

outbound_request rpc_request(const state_store& store, std::string_view fn, std::string args_json) {
  outbound_request out;
  out.method = "POST";
  out.url = store.base_url + "/rest/v1/rpc/" + std::string(fn);
  out.headers = {{"content-type", "application/json"}, {"accept", "application/json"}};
  if (!store.key.empty()) {
    out.headers.push_back({"apikey", store.key});
    // Legacy JWT keys also go in Authorization; new sb_secret_ keys must not (UPSTREAM-APIS.md).
    if (store.key.rfind("eyJ", 0) == 0) out.headers.push_back({"authorization", "Bearer " + store.key});
  }
  out.body = std::move(args_json);
  out.timeout_ms = store.timeout_ms;
  return out;
}

outbound_request begin_turn_request(const state_store& store, const begin_turn_args& a) {
  return rpc_request(store, "salient_begin_turn",
                     detail::dump(json{{"p_tenant", a.tenant},
                                       {"p_agent", a.agent},
                                       {"p_session_key", a.session_key},
                                       {"p_idempotency_key", a.idempotency_key},
                                       {"p_message_id", a.message_id},
                                       {"p_content", a.content}}));
}

outbound_request claim_turn_request(const state_store& store, std::string_view tenant, std::string_view turn_id) {
  return rpc_request(store, "salient_claim_turn", detail::dump(json{{"p_tenant", tenant}, {"p_turn_id", turn_id}}));
}

outbound_request finish_turn_request(const state_store& store, const finish_turn_args& a) {
  auto metadata = detail::parse_json(a.metadata_json);
  return rpc_request(store, "salient_finish_turn",
                     detail::dump(json{{"p_tenant", a.tenant},
                                       {"p_turn_id", a.turn_id},
                                       {"p_message_id", a.message_id},
                                       {"p_content", a.content},
                                       {"p_metadata", metadata ? *metadata : json::object()}}));
}

result<begun_turn> parse_begin_turn(const fetch_result& r) {
  if (auto e = rpc_error(r, "salient_begin_turn")) return *e;
  auto doc = object_body(r);
  if (!doc) return make_error(errc::unavailable, "the conversation store sent an unreadable answer; please try again");
  auto turn = detail::string_member(*doc, "turn_id");
  auto session = detail::string_member(*doc, "session_id");
  if (!turn || !session) return make_error(errc::unavailable, "the conversation store sent an incomplete answer; please try again");
  return begun_turn{std::string(*turn), std::string(*session), detail::bool_member(*doc, "duplicate").value_or(false)};
}

result<claimed_turn> parse_claim_turn(const fetch_result& r) {
  if (auto e = rpc_error(r, "salient_claim_turn")) return *e;
  auto doc = object_body(r);
  if (!doc) return make_error(errc::unavailable, "the conversation store sent an unreadable answer; please try again");
  claimed_turn out;
  std::string_view status = detail::string_member(*doc, "status").value_or("");
  if (status == "claimed") {
    out.state = claimed_turn::status::claimed;
    out.message = std::string(detail::string_member(*doc, "message").value_or(""));
    out.session_id = std::string(detail::string_member(*doc, "session_id").value_or(""));
  } else if (status == "already_claimed") {
    out.state = claimed_turn::status::already_claimed;
  } else if (status == "not_found") {
    out.state = claimed_turn::status::not_found;
  } else {
    return make_error(errc::unavailable, "the conversation store sent an unknown claim status; please try again");
  }
  return out;
}

result<void> parse_finish_turn(const fetch_result& r) {
  if (auto e = rpc_error(r, "salient_finish_turn")) return *e;
  return {};
}

}  // namespace salient
