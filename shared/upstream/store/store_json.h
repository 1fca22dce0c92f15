#pragma once
// Reading the state store's RPC answers: shared by the store's clients (state_client.cpp,
// otp_store.cpp, summary_store.cpp). Private to upstream/store.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "salient/upstream/store/state_client.h"
#include "salient/upstream/store/summary_store.h"

namespace salient::store_json {

using detail::json;

inline error unreadable() {
  return make_error(errc::unavailable, "the conversation store sent an unreadable answer; please try again");
}

/// The answer's object, or the typed error of a failed call (to_error).
inline result<json> answer(const fetch_result& r, std::string_view fn) {
  if (auto e = parse_postgrest_error(r)) return to_error(*e, fn);
  auto doc = detail::parse_json(r.body);
  if (!doc || !doc->is_object()) return unreadable();
  return std::move(*doc);
}

/// An optional argument: SQL null when empty.
inline json text_or_null(const std::string& s) { return s.empty() ? json() : json(s); }

inline std::string string_or_empty(const json& obj, std::string_view key) {
  return std::string(detail::string_member(obj, key).value_or(""));
}

inline std::vector<std::string> string_array(const json& obj, std::string_view key) {
  std::vector<std::string> out;
  const json* arr = detail::member(obj, key);
  if (!arr || !arr->is_array()) return out;
  for (const json& v : *arr)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

/// A profile object as salient_session_profile writes it.
inline visitor_profile profile_of(const json& p) {
  return visitor_profile{string_or_empty(p, "customer_name"), string_or_empty(p, "email"),
                         string_or_empty(p, "phone"), string_array(p, "products_of_interest"),
                         string_array(p, "services_of_interest"), detail::bool_member(p, "verified").value_or(false)};
}

/// The `profile` member of an answer, when it is an object.
inline std::optional<visitor_profile> profile_member(const json& doc) {
  const json* p = detail::member(doc, "profile");
  if (!p || !p->is_object()) return std::nullopt;
  return profile_of(*p);
}

/// A message as the history and updates RPCs write it ({id, role, content, created_at, metadata});
/// nullopt without a role or content (state_client.cpp).
std::optional<stored_message> stored_message_of(const json& m);

/// One conversation as salient_summary_claim_of writes it (summary_store.cpp): a summary's
/// claim, and the conversation a handoff's email shows (handoff_store.cpp).
result<summary_claim> summary_claim_of(const json& c);

}  // namespace salient::store_json
