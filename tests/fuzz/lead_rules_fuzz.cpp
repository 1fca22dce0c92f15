// The rules path of summaries on arbitrary transcripts: bytes split into lines at '\n', each
// line's first byte choosing its role (odd: the visitor). extract() never crashes; an email it
// returns is valid; a phone is '+' and 8–15 digits, or as the visitor wrote it.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "flows/summary/lead_rules.h"
#include "salient/core/email_address.h"

using namespace salient::lead_rules;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<transcript_line> t;
  // The first line is the context: a country, then the business's email and phone.
  rules_context ctx;
  std::size_t nl = in.find('\n');
  std::string_view head = in.substr(0, nl);
  ctx.country = std::string(head.substr(0, 2));
  if (head.size() > 2) ctx.business_emails.emplace_back(head.substr(2));
  if (head.size() > 2) ctx.business_phones.emplace_back(head.substr(2));
  std::string_view rest = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  while (!rest.empty()) {
    std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    bool user = !line.empty() && (static_cast<unsigned char>(line[0]) & 1);
    t.push_back({user ? "user" : "assistant", std::string(line.empty() ? line : line.substr(1))});
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  lead_card card = extract(t, ctx);
  if (!card.email.empty() && !salient::is_email_address(card.email)) std::abort();
  if (!card.phone.empty()) {
    bool international = card.phone[0] == '+' && card.phone.size() >= 9 && card.phone.size() <= 16 &&
                         card.phone.find_first_not_of("0123456789", 1) == std::string::npos;
    bool as_written = false;
    for (const auto& l : t) as_written = as_written || (l.role == "user" && l.text.find(card.phone) != std::string::npos);
    if (!international && !as_written) std::abort();
  }
  if (card.outcome != "LEAD" && card.outcome != "CALLBACK" && card.outcome != "INFO_ONLY" && card.outcome != "SUPPORT" &&
      card.outcome != "SPAM")
    std::abort();
  for (std::string_view s : {std::string_view("+44 20 7946 0958"), head}) (void)normalize_phone(s, ctx.country);
  return 0;
}
