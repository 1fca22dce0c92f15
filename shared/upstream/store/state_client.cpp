#include "salient/upstream/store/state_client.h"

#include <algorithm>

#include "core/json.h"
#include "upstream/store/store_json.h"
#include "salient/core/environment.h"
#include "salient/core/json_write.h"

namespace salient {
namespace {

using detail::json;
using store_json::profile_member;
using store_json::string_array;
using store_json::string_or_empty;
using store_json::unreadable;

std::optional<json> object_body(const fetch_result& r) {
  auto doc = detail::parse_json(r.body);
  if (!doc || !doc->is_object()) return std::nullopt;
  return doc;
}

/// The functions that take an agent, for which PT404 means one thing only: the tenant switched
/// that agent off (tenant_agents.is_enabled = false: salient_require_agent_enabled in
/// db/functions/validation.sql). finish_turn's PT404 is an unknown turn.
bool refuses_disabled_agent(std::string_view fn) {
  return fn == "salient_begin_turn" || fn == "salient_claim_turn" || fn == "salient_session_history" ||
         fn == "salient_list_sessions" || fn == "salient_summary_claim";
}

/// The typed error of a failed call, or nullopt for a 2xx.
std::optional<error> rpc_error(const fetch_result& r, std::string_view fn) {
  auto e = parse_postgrest_error(r);
  if (!e) return std::nullopt;
  return to_error(*e, fn);
}

}  // namespace

std::optional<stored_message> store_json::stored_message_of(const json& m) {
  auto role = detail::string_member(m, "role");
  auto content = detail::string_member(m, "content");
  if (!role || !content) return std::nullopt;
  stored_message sm{string_or_empty(m, "id"), std::string(*role), std::string(*content),
                    string_or_empty(m, "created_at"), {}, {}, {}};
  if (const json* meta = detail::member(m, "metadata")) {
    sm.mode = string_or_empty(*meta, "mode");
    sm.name = string_or_empty(*meta, "name");
    if (const json* cites = detail::member(*meta, "citations"); cites && cites->is_array() && !cites->empty())
      sm.citations_json = detail::dump(*cites);
  }
  return sm;
}

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
    // Legacy JWT keys also go in Authorization; new sb_secret_ keys must not (docs/UPSTREAMS.md).
    if (store.key.rfind("eyJ", 0) == 0) out.headers.push_back({"authorization", "Bearer " + store.key});
  }
  out.body = std::move(args_json);
  out.timeout_ms = store.timeout_ms;
  return out;
}

std::optional<postgrest_error> parse_postgrest_error(const fetch_result& r) {
  if (r.success()) return std::nullopt;
  postgrest_error e;
  if (r.failure) {
    e.message = r.failure->message;
    return e;
  }
  e.status = r.head.status;
  // PostgREST's body; a proxy in front may answer with anything, so every field is optional.
  if (auto doc = object_body(r)) {
    e.code = string_or_empty(*doc, "code");
    e.message = string_or_empty(*doc, "message");
    e.details = string_or_empty(*doc, "details");
    e.hint = string_or_empty(*doc, "hint");
  }
  return e;
}

error to_error(const postgrest_error& e, std::string_view fn) {
  if (e.status == 0)
    return make_error(errc::unavailable, "the conversation store is unreachable; please try again");
  if (e.status >= 500)
    return make_error(errc::unavailable, "the conversation store is unavailable; please try again");
  if (e.status == 404 && e.code == "PGRST202")
    return make_error(errc::misconfigured,
                      "the conversation store has no function " + std::string(fn) + ": run db/migrations there");
  if (e.status == 404 && e.code == "PT404" && refuses_disabled_agent(fn))
    return make_error(errc::not_found, "this assistant is not enabled here");
  if (e.status == 404) return make_error(errc::not_found, "this conversation was not found");
  if (e.status == 403 && e.code == "PT403")
    return make_error(errc::forbidden, "this assistant is not available at the moment");
  if (e.status == 401 || e.status == 403)
    return make_error(errc::misconfigured, "the conversation store refused our key: check SUPABASE_KEY");
  if (e.status == 409) return make_error(errc::conflict, "this was already stored");
  return make_error(errc::internal, "the conversation store rejected " + std::string(fn));
}

// ---- begin_turn ------------------------------------------------------------------------------

outbound_request begin_turn_request(const state_store& store, const begin_turn_args& a) {
  json args{{"p_tenant", a.tenant},
            {"p_agent", a.agent},
            {"p_session_key", a.session_key},
            {"p_idempotency_key", a.idempotency_key},
            {"p_message_id", a.message_id},
            {"p_content", a.content}};
  if (!a.limits_json.empty()) args["p_limits"] = detail::parse_json(a.limits_json).value_or(json());
  return rpc_request(store, "salient_begin_turn", detail::dump(args));
}

namespace {
/// A refusal's wait as the store gave it, at least a second (a Retry-After of 0 means "now").
int retry_after_of(const json& doc) {
  auto s = detail::int_member(doc, "retry_after").value_or(1);
  return static_cast<int>(std::clamp<std::int64_t>(s, 1, 86400));
}
}  // namespace

result<begun_turn> parse_begin_turn(const fetch_result& r) {
  if (auto e = rpc_error(r, "salient_begin_turn")) return *e;
  auto doc = object_body(r);
  if (!doc) return unreadable();
  if (detail::string_member(*doc, "status") == std::optional<std::string_view>("limited")) {
    begun_turn out;
    out.limited = rate_refusal{std::string(detail::string_member(*doc, "limit").value_or("")),
                               std::string(detail::string_member(*doc, "scope").value_or("")), retry_after_of(*doc)};
    return out;
  }
  auto turn = detail::string_member(*doc, "turn_id");
  auto session = detail::string_member(*doc, "session_id");
  if (!turn || !session) return make_error(errc::unavailable, "the conversation store sent an incomplete answer; please try again");
  return begun_turn{std::string(*turn), std::string(*session), detail::bool_member(*doc, "duplicate").value_or(false), {}};
}

// ---- claim_turn ------------------------------------------------------------------------------

outbound_request claim_turn_request(const state_store& store, std::string_view tenant, std::string_view turn_id,
                                    int history_limit, std::string_view claim) {
  json args{{"p_tenant", tenant}, {"p_turn_id", turn_id}, {"p_history_limit", history_limit}};
  if (!claim.empty()) args["p_claim"] = claim;
  return rpc_request(store, "salient_claim_turn", detail::dump(args));
}

result<claimed_turn> parse_claim_turn(const fetch_result& r) {
  if (auto e = rpc_error(r, "salient_claim_turn")) return *e;
  auto doc = object_body(r);
  if (!doc) return unreadable();
  claimed_turn out;
  std::string_view status = detail::string_member(*doc, "status").value_or("");
  if (status == "already_claimed") {
    out.state = claimed_turn::status::already_claimed;
    return out;
  }
  if (status == "not_found") {
    out.state = claimed_turn::status::not_found;
    return out;
  }
  if (status != "claimed")
    return make_error(errc::unavailable, "the conversation store sent an unknown claim status; please try again");
  out.state = claimed_turn::status::claimed;
  out.message = string_or_empty(*doc, "message");
  out.session_id = string_or_empty(*doc, "session_id");
  if (const json* history = detail::member(*doc, "history"); history && history->is_array()) {
    for (const json& m : *history) {
      auto role = detail::string_member(m, "role");
      auto content = detail::string_member(m, "content");
      if (!role || !content) continue;
      // A team member's reply is part of the conversation the model continues, as what the
      // business said, named so that the model does not take it for its own words.
      if (*role == "team")
        out.history.push_back({"assistant", "(" + string_or_empty(m, "name") + ", from the team, wrote:) " +
                                                std::string(*content)});
      else out.history.push_back({std::string(*role), std::string(*content)});
    }
  }
  if (const json* p = detail::member(*doc, "persona"); p && p->is_object())
    out.persona = agent_persona{string_or_empty(*p, "code"), string_or_empty(*p, "name"),
                                string_or_empty(*p, "system_prompt")};
  out.profile = profile_member(*doc);
  out.month_cost_usd = detail::number_member(*doc, "month_cost_usd").value_or(0);
  if (auto r = doc->find("retrieval"); r != doc->end() && r->is_object()) out.retrieval_json = detail::dump(*r);
  if (const json* h = detail::member(*doc, "handoff"); h && h->is_object())
    out.handoff = claimed_turn::handoff_state{detail::bool_member(*h, "quiet").value_or(false),
                                              detail::bool_member(*h, "resumed_note_due").value_or(false)};
  return out;
}

// ---- attach_retrieval ------------------------------------------------------------------------

outbound_request attach_retrieval_request(const state_store& store, std::string_view tenant, std::string_view turn_id,
                                          std::string_view retrieval_json) {
  // The retrieval document is our own JSON (passages can be long): spliced in as text.
  std::string body = "{\"p_tenant\":";
  append_json_string(body, tenant);
  body += ",\"p_turn_id\":";
  append_json_string(body, turn_id);
  body += ",\"p_retrieval\":";
  body += retrieval_json;
  body += '}';
  return rpc_request(store, "salient_attach_retrieval", std::move(body));
}

result<void> parse_attach_retrieval(const fetch_result& r) {
  if (auto e = rpc_error(r, "salient_attach_retrieval")) return *e;
  auto doc = object_body(r);
  if (!doc) return unreadable();
  std::string_view status = detail::string_member(*doc, "status").value_or("");
  if (status == "attached") return {};
  if (status == "already_claimed") return make_error(errc::conflict, "the turn was already claimed");
  if (status == "not_found") return make_error(errc::not_found, "this conversation turn does not exist");
  return unreadable();
}

// ---- turn_answer -----------------------------------------------------------------------------

outbound_request turn_answer_request(const state_store& store, std::string_view tenant, std::string_view turn_id) {
  return rpc_request(store, "salient_turn_answer", detail::dump(json{{"p_tenant", tenant}, {"p_turn_id", turn_id}}));
}

result<turn_answer> parse_turn_answer(const fetch_result& r) {
  if (auto e = rpc_error(r, "salient_turn_answer")) return *e;
  auto doc = object_body(r);
  if (!doc) return unreadable();
  turn_answer out;
  std::string_view status = detail::string_member(*doc, "status").value_or("");
  if (status == "pending") out.state = turn_answer::status::pending;
  else if (status == "not_found") out.state = turn_answer::status::not_found;
  else if (status != "answered") return unreadable();
  else {
    out.state = turn_answer::status::answered;
    out.message_id = string_or_empty(*doc, "message_id");
    out.content = string_or_empty(*doc, "content");
    if (const json* m = detail::member(*doc, "metadata"); m && m->is_object()) {
      if (const json* cites = detail::member(*m, "citations"); cites && cites->is_array() && !cites->empty())
        out.citations_json = detail::dump(*cites);
      const json* interrupted = detail::member(*m, "interrupted");
      out.interrupted = interrupted && interrupted->is_boolean() && interrupted->get<bool>();
    }
  }
  return out;
}

// ---- identify --------------------------------------------------------------------------------

outbound_request identify_request(const state_store& store, const identify_args& a) {
  json body{{"p_tenant", a.tenant}, {"p_agent", a.agent}, {"p_session_key", a.session_key},
            {"p_email", a.email ? json(*a.email) : json()}, {"p_name", a.name ? json(*a.name) : json()}};
  return rpc_request(store, "salient_identify", detail::dump(body));
}

result<bool> parse_identify(const fetch_result& r) {
  if (auto e = rpc_error(r, "salient_identify")) return *e;
  auto doc = object_body(r);
  if (!doc) return unreadable();
  std::string_view status = detail::string_member(*doc, "status").value_or("");
  if (status == "identified") return true;
  if (status == "no_session") return false;
  return unreadable();
}

// ---- finish_turn -----------------------------------------------------------------------------

outbound_request finish_turn_request(const state_store& store, const finish_turn_args& a) {
  // Written as text, not through a DOM: the answer can be long and the llm_requests object
  // holds the whole prompt; both were built by the core (docs/BENCHMARKS.md (d)).
  std::string body = "{\"p_tenant\":";
  append_json_string(body, a.tenant);
  body += ",\"p_turn_id\":";
  append_json_string(body, a.turn_id);
  body += ",\"p_message_id\":";
  append_json_string(body, a.message_id);
  body += ",\"p_content\":";
  append_json_string(body, a.content);
  body += ",\"p_metadata\":";
  body += looks_like_json_object(a.metadata_json) ? std::string_view(a.metadata_json) : std::string_view("{}");
  if (looks_like_json_object(a.llm_request_json)) {
    body += ",\"p_llm_request\":";
    body += a.llm_request_json;
  }
  body += '}';
  return rpc_request(store, "salient_finish_turn", std::move(body));
}

result<void> parse_finish_turn(const fetch_result& r) {
  if (auto e = rpc_error(r, "salient_finish_turn")) return *e;
  return {};
}

// ---- session_history / list_sessions -----------------------------------------------------------

outbound_request session_history_request(const state_store& store, std::string_view tenant, std::string_view agent,
                                         std::string_view session_key, int limit) {
  return rpc_request(store, "salient_session_history",
                     detail::dump(json{{"p_tenant", tenant},
                                       {"p_agent", agent},
                                       {"p_session_key", session_key},
                                       {"p_limit", limit}}));
}

result<session_history> parse_session_history(const fetch_result& r) {
  if (auto e = rpc_error(r, "salient_session_history")) return *e;
  auto doc = object_body(r);
  if (!doc) return unreadable();
  session_history out;
  out.session_id = string_or_empty(*doc, "session_id");  // null: no such session
  const json* messages = detail::member(*doc, "messages");
  if (!messages || !messages->is_array()) return unreadable();
  for (const json& m : *messages) {
    auto sm = store_json::stored_message_of(m);
    if (!sm) return unreadable();
    out.messages.push_back(std::move(*sm));
  }
  out.profile = profile_member(*doc);
  return out;
}

outbound_request list_sessions_request(const state_store& store, std::string_view tenant, std::string_view agent,
                                       const std::vector<std::string>& session_keys) {
  return rpc_request(store, "salient_list_sessions",
                     detail::dump(json{{"p_tenant", tenant}, {"p_agent", agent}, {"p_session_keys", session_keys}}));
}

result<std::vector<session_summary>> parse_list_sessions(const fetch_result& r) {
  if (auto e = rpc_error(r, "salient_list_sessions")) return *e;
  auto doc = object_body(r);
  if (!doc) return unreadable();
  const json* sessions = detail::member(*doc, "sessions");
  if (!sessions || !sessions->is_array()) return unreadable();
  std::vector<session_summary> out;
  for (const json& s : *sessions) {
    auto key = detail::string_member(s, "session_key");
    if (!key) return unreadable();
    out.push_back({std::string(*key), string_or_empty(s, "title"), string_or_empty(s, "created_at"),
                   string_or_empty(s, "last_activity_at"), detail::int_member(s, "message_count").value_or(0)});
  }
  return out;
}

}  // namespace salient
