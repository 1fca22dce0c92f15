// The model path's check of an answer on arbitrary transcripts and answers. Bytes as lines
// ('\n'): the first is the context (a country, then one business email/phone), the last the
// model's answer, the ones between the transcript (first byte odd: the visitor). The answer's
// fields are split at '\t' in lead_spec()'s order, arrays' items at ';'. card_from_model never
// crashes, and keeps only what the transcript backs: an email the visitor wrote, valid and not
// the business's; a phone normalize_phone accepts, not the business's; one of the five outcomes;
// evidence quoted from the visitor. transcript_text stays bounded.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flows/summary/lead_model.h"
#include "salient/core/email_address.h"

using namespace salient;
using namespace salient::lead_rules;

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    std::size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines = split(in, '\n');
  rules_context ctx;
  std::string_view head = lines.front();
  ctx.country = std::string(head.substr(0, 2));
  if (head.size() > 2) ctx.business_emails.emplace_back(head.substr(2)), ctx.business_phones.emplace_back(head.substr(2));
  std::vector<transcript_line> t;
  for (std::size_t i = 1; i + 1 < lines.size(); ++i) {
    std::string_view l = lines[i];
    bool user = !l.empty() && (static_cast<unsigned char>(l[0]) & 1);
    t.push_back({user ? "user" : "assistant", std::string(l.empty() ? l : l.substr(1))});
  }
  std::vector<std::string_view> given = split(lines.size() > 1 ? lines.back() : std::string_view(), '\t');
  std::vector<std::pair<std::string, structured_field>> fields;
  const object_spec& spec = lead_model::lead_spec();
  for (std::size_t i = 0; i < spec.fields.size(); ++i) {
    const field_spec& f = spec.fields[i];
    if (i >= given.size()) {
      fields.emplace_back(f.name, std::monostate{});
    } else if (f.type == field_type::string_array) {
      std::vector<std::string> items;
      for (auto item : split(given[i], ';')) items.emplace_back(item);
      fields.emplace_back(f.name, std::move(items));
    } else {
      fields.emplace_back(f.name, std::string(given[i]));
    }
  }
  lead_card card = lead_model::card_from_model(structured_value(std::move(fields)), t, ctx);

  if (card.method != "model") std::abort();
  using lead_rules::detail::is_business_email;
  using lead_rules::detail::is_business_phone;
  if (!card.email.empty() && (!is_email_address(card.email) || is_business_email(card.email, ctx))) std::abort();
  if (!card.phone.empty() && (!normalize_phone(card.phone, ctx.country) || is_business_phone(card.phone, ctx))) std::abort();
  if (card.outcome != "LEAD" && card.outcome != "CALLBACK" && card.outcome != "INFO_ONLY" && card.outcome != "SUPPORT" &&
      card.outcome != "SPAM")
    std::abort();
  for (const auto& e : card.evidence) {
    bool line = false;  // the rules' evidence (an outcome the model got wrong) is whole lines
    for (const auto& l : t) line = line || (l.role == "user" && l.text == e);
    if (!line && !lead_model::detail::quoted_from_visitor(e, t)) std::abort();
  }
  std::string text = lead_model::transcript_text(t);
  if (text.size() > lead_model::transcript_budget_bytes + 4 * lead_model::max_line_bytes + 256) std::abort();
  (void)lead_card_json(card);
  return 0;
}
