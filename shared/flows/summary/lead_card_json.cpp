// The lead card as JSON, for conversation_summaries.lead (lead_rules.h).
#include "flows/summary/lead_rules.h"

#include "core/json.h"

namespace salient::lead_rules {

std::string lead_card_json(const lead_card& c) {
  salient::detail::json j{{"name", c.name},
                 {"email", c.email},
                 {"phone", c.phone},
                 {"company", c.company},
                 {"address", c.address},
                 {"preferred_time", c.preferred_time},
                 {"language", c.language},
                 {"outcome", c.outcome},
                 {"evidence", c.evidence},
                 {"needs", c.needs},
                 {"interests", c.interests},
                 {"next_step", c.next_step},
                 {"summary", c.summary},
                 {"method", c.method}};
  return salient::detail::dump(j);
}

}  // namespace salient::lead_rules
