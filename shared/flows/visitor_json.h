#pragma once
// A visitor's profile as the widget and the page read it (the profile card): the chat's
// history answer and the otp function's verify answer both send it.
#include "core/json.h"
#include "salient/upstream/store/state_client.h"

namespace salient {

inline detail::json visitor_profile_json(const visitor_profile& p) {
  return detail::json{{"customer_name", p.customer_name},
                      {"email", p.email},
                      {"phone", p.phone},
                      {"products_of_interest", p.products_of_interest},
                      {"services_of_interest", p.services_of_interest},
                      {"verified", p.verified}};  // the address was proven with a code (else identify())
}

/// A stored message as the widget and the page's script read it (history, updates): the team
/// member's name on a reply, never what else the store keeps of the email it came in.
inline detail::json stored_message_json(const stored_message& m) {
  detail::json item{{"id", m.id}, {"role", m.role}, {"content", m.content}, {"created_at", m.created_at},
                    {"mode", m.mode.empty() ? detail::json() : detail::json(m.mode)}};
  if (auto cited = detail::parse_json(m.citations_json)) item["citations"] = std::move(*cited);
  if (m.role == "team") item["name"] = m.name.empty() ? std::string("Team") : m.name;
  return item;
}

}  // namespace salient
