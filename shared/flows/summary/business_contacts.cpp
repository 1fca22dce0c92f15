// The business's own emails and phones (summarize.h): whatever salient.yaml and the local
// knowledge index say, read with the same scanners the rules use on the visitor's lines, so
// that what the assistant quoted from them is never taken for the visitor's.
#include <cstdint>
#include <string_view>

#include "flows/summary/summarize.h"
#include "salient/core/email_address.h"

namespace salient {
namespace {

void harvest(std::string_view text, lead_rules::rules_context& rc) {
  if (text.empty()) return;
  for (const auto& e : lead_rules::detail::find_emails(text))
    if (!lead_rules::detail::is_business_email(e.address, rc)) rc.business_emails.push_back(e.address);
  for (const auto& p : lead_rules::detail::find_phones(text))
    if (!lead_rules::detail::is_business_phone(p, rc)) rc.business_phones.push_back(p);
}

}  // namespace

lead_rules::rules_context business_contacts(const config& cfg, const knowledge_index& knowledge) {
  lead_rules::rules_context rc;
  rc.country = cfg.app.country;
  if (auto from = normalize_email(cfg.email.from)) rc.business_emails.push_back(*from);
  for (std::string_view text : {std::string_view(cfg.offline.greeting), std::string_view(cfg.offline.pricing),
                                std::string_view(cfg.offline.contact), std::string_view(cfg.offline.human),
                                std::string_view(cfg.offline.fallback)})
    harvest(text, rc);
  for (const auto& p : cfg.personas) harvest(p.system_prompt, rc);
  for (std::uint32_t i = 0; i < knowledge.size(); ++i) {
    auto c = knowledge.chunk(i);
    harvest(c.text, rc);
    harvest(c.heading, rc);
  }
  return rc;
}

}  // namespace salient
