#pragma once
// The state store's operator RPCs (db/functions/admin.sql) as the admin flow calls them: the
// effects built here, each answer read as the JSON object the admin pages render
// (render/admin_pages.h). The RPCs shape their answers for those pages, so nothing is copied
// into typed structs in between; what the flow itself decides on (found or not, updated or not)
// it reads from the object's "status". Private to the core: nlohmann::json stays out of the
// public headers.
#include <cstdint>
#include <string>

#include "core/json.h"
#include "salient/upstream/store/state_client.h"

namespace salient::admin_store {

struct conversation_query {
  std::string text;     ///< searched in addresses, names and messages; empty = all
  std::string outcome;  ///< LEAD, CALLBACK, INFO_ONLY, SUPPORT, SPAM, none, handoff; empty = all
  std::int64_t before_ms = 0;  ///< 0 = the newest page
  int limit = 50;
};

outbound_request conversations_request(const state_store& store, std::string_view tenant, const conversation_query& q);
outbound_request conversation_request(const state_store& store, std::string_view tenant, std::string_view session_id);
outbound_request leads_request(const state_store& store, std::string_view tenant, std::string_view status, int limit);
outbound_request lead_update_request(const state_store& store, std::string_view tenant, std::string_view session_id,
                                     std::string_view status, std::string_view notes, std::string_view by,
                                     std::int64_t now_ms);
/// `email_key`: the address's keyed hash, as the privacy page's erasure sends it (its codes go too).
outbound_request erase_request(const state_store& store, std::string_view tenant, std::string_view email,
                               std::string_view email_key, std::string_view by, std::int64_t now_ms);
outbound_request daily_request(const state_store& store, std::string_view tenant, int days, std::int64_t now_ms);
outbound_request metrics_request(const state_store& store, std::string_view tenant, std::int64_t now_ms);
outbound_request warnings_request(const state_store& store, std::string_view tenant, int limit);
/// `lines_json`: the host's array of redacted lines (docs/ABI.md, log_flush), passed on as is.
outbound_request log_append_request(const state_store& store, std::string_view tenant, const detail::json& lines);

/// The RPC's answer object, or the typed error of a failed call (state_client.h to_error).
result<detail::json> parse_answer(const fetch_result& r, std::string_view fn);

}  // namespace salient::admin_store
