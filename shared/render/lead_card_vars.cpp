// The lead card's template variables and the text helpers the summary and handoff emails share
// (render/lead_card_vars.h).
#include "render/lead_card_vars.h"

namespace salient::detail {
namespace {

bool in_set(char c, std::string_view set) { return set.find(c) != std::string_view::npos; }
bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

mstch::list item_list(const std::vector<std::string>& items, const char* key) {
  mstch::list out;
  for (const std::string& item : items)
    if (!item.empty()) out.push_back(mstch::object{{key, item}});
  return out;
}

std::string_view headline_of(std::string_view outcome) {
  if (outcome == "LEAD") return "New lead";
  if (outcome == "CALLBACK") return "New lead: a callback is asked for";
  if (outcome == "SUPPORT") return "Support request";
  if (outcome == "SPAM") return "Probably spam";
  return "Conversation summary";
}

}  // namespace

std::string trimmed(std::string text) {
  std::size_t b = text.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  return text.substr(b, text.find_last_not_of(' ') - b + 1);
}

std::string cut(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80) --n;
  text.resize(n);
  return trimmed(std::move(text)) + "…";
}

bool mailto_ok(std::string_view email) {
  std::size_t at = email.find('@');
  if (email.size() > 254 || at == 0 || at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos)
    return false;
  std::string_view local = email.substr(0, at), domain = email.substr(at + 1);
  for (char c : local)
    if (!is_alnum(c) && !in_set(c, "._+-")) return false;
  if (domain.empty() || domain.front() == '.' || domain.back() == '.' || domain.find('.') == std::string_view::npos ||
      domain.find("..") != std::string_view::npos)
    return false;
  for (char c : domain)
    if (!is_alnum(c) && !in_set(c, ".-")) return false;
  return true;
}

void set_lead_vars(mstch::data& vars, const lead_view& lead) {
  mstch::list fields;
  auto field = [&](std::string_view label, const std::string& value, bool is_email = false) {
    if (value.empty()) return;
    bool link = is_email && mailto_ok(value);
    fields.push_back(mstch::object{{"label", std::string(label)},
                                   {"value", value},
                                   {"has_mailto", link},
                                   {"mailto", link ? value : std::string()},
                                   {"verified", is_email && lead.email_verified}});
  };
  field("Name", lead.name);
  field("Email", lead.email, true);
  field("Phone", lead.phone);
  field("Company", lead.company);
  field("Address", lead.address);
  field("Preferred time", lead.preferred_time);
  field("Language", lead.language);
  vars.set("has_fields", !fields.empty());
  vars.set("fields", fields);

  vars.set("headline", std::string(headline_of(lead.outcome)));
  vars.set("has_outcome", !lead.outcome.empty());
  vars.set("outcome", lead.outcome);
  mstch::list evidence = item_list(lead.evidence, "line"), needs = item_list(lead.needs, "item"),
              interests = item_list(lead.interests, "item");
  vars.set("has_evidence", !evidence.empty());
  vars.set("evidence", evidence);
  vars.set("has_needs", !needs.empty());
  vars.set("needs", needs);
  vars.set("has_interests", !interests.empty());
  vars.set("interests", interests);
  vars.set("has_next_step", !lead.next_step.empty());
  vars.set("next_step", lead.next_step);
  vars.set("has_summary", !lead.summary.empty());
  vars.set("summary", lead.summary);
  // An extractive summary reads differently from a written one: the reader is told which it is.
  vars.set("summary_label", std::string(lead.method == "rules" ? "Summary by rules (no model)" : "Summary"));
}

void squeeze_blank_lines(std::string& text) {
  for (std::size_t at = text.find("\n\n\n"); at != std::string::npos; at = text.find("\n\n\n", at)) text.erase(at, 1);
}

}  // namespace salient::detail
