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

}  // namespace salient
