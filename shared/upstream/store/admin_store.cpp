#include "upstream/store/admin_store.h"

#include "upstream/store/store_json.h"

namespace salient::admin_store {
namespace {

using detail::json;

outbound_request rpc(const state_store& store, std::string_view fn, const json& args) {
  return rpc_request(store, fn, detail::dump(args));
}

}  // namespace

outbound_request conversations_request(const state_store& store, std::string_view tenant, const conversation_query& q) {
  return rpc(store, "salient_admin_conversations",
             json{{"p_tenant", tenant},
                  {"p_query", q.text},
                  {"p_outcome", q.outcome},
                  {"p_before_ms", q.before_ms > 0 ? json(q.before_ms) : json()},
                  {"p_limit", q.limit}});
}

outbound_request conversation_request(const state_store& store, std::string_view tenant, std::string_view session_id) {
  return rpc(store, "salient_admin_conversation", json{{"p_tenant", tenant}, {"p_session_id", session_id}});
}

outbound_request leads_request(const state_store& store, std::string_view tenant, std::string_view status, int limit) {
  return rpc(store, "salient_admin_leads", json{{"p_tenant", tenant}, {"p_status", status}, {"p_limit", limit}});
}

outbound_request lead_update_request(const state_store& store, std::string_view tenant, std::string_view session_id,
                                     std::string_view status, std::string_view notes, std::string_view by,
                                     std::int64_t now_ms) {
  return rpc(store, "salient_admin_lead_update",
             json{{"p_tenant", tenant}, {"p_session_id", session_id}, {"p_status", status}, {"p_notes", notes},
                  {"p_by", by}, {"p_now_ms", now_ms}});
}

outbound_request erase_request(const state_store& store, std::string_view tenant, std::string_view email,
                               std::string_view email_key, std::string_view by, std::int64_t now_ms) {
  return rpc(store, "salient_admin_erase",
             json{{"p_tenant", tenant}, {"p_email", email}, {"p_email_key", email_key}, {"p_by", by}, {"p_now_ms", now_ms}});
}

outbound_request daily_request(const state_store& store, std::string_view tenant, int days, std::int64_t now_ms) {
  return rpc(store, "salient_admin_daily", json{{"p_tenant", tenant}, {"p_days", days}, {"p_now_ms", now_ms}});
}

outbound_request metrics_request(const state_store& store, std::string_view tenant, std::int64_t now_ms) {
  return rpc(store, "salient_admin_metrics", json{{"p_tenant", tenant}, {"p_now_ms", now_ms}});
}

outbound_request warnings_request(const state_store& store, std::string_view tenant, int limit) {
  return rpc(store, "salient_admin_warnings", json{{"p_tenant", tenant}, {"p_limit", limit}});
}

outbound_request log_append_request(const state_store& store, std::string_view tenant, const json& lines) {
  return rpc(store, "salient_log_append", json{{"p_tenant", tenant}, {"p_lines", lines}});
}

result<json> parse_answer(const fetch_result& r, std::string_view fn) { return store_json::answer(r, fn); }

}  // namespace salient::admin_store
