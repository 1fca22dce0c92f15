// The lead card: the contact fields chosen among what each visitor line gave, the outcome by
// rules with the lines that decided it, and an extractive summary (lead_rules.h).
#include "flows/summary/lead_rules.h"

#include <cstddef>

#include "salient/core/email_address.h"

namespace salient::lead_rules {
namespace {

using detail::first_phrase;
using detail::has_phrase;
using detail::is_business_email;
using detail::is_business_phone;
using detail::lower_ascii;

// Strong: spam on their own. Weak: spam with a link or an offer in the same conversation.
const std::vector<std::string_view> spam_strong = {
    "backlink*", "casino*", "guest post*", "link building", "link-building", "viagra", "first page of google",
    "page 1 of google", "betting", "link insertion*", "sponsored post*", "buy followers", "porn*"};
const std::vector<std::string_view> spam_weak = {"seo", "crypto*", "bitcoin*", "forex", "traffic", "ranking*", "domain authority", "da/pa", "nft*"};
const std::vector<std::string_view> offer_words = {"we offer", "we provide", "we can", "i can", "our services", "our service",
                                                   "guaranteed", "cheap", "affordable", "whatsapp", "telegram", "dm me",
                                                   "boost", "increase your", "rank your", "promote", "investment"};
const std::vector<std::string_view> support_words = {
    "my order", "order #", "order number", "broken", "refund", "not working", "doesn't work", "does not work",
    "don't work", "stopped working", "won't work", "damaged", "defective", "faulty", "never arrived", "hasn't arrived",
    "has not arrived", "didn't arrive", "did not arrive", "not arrived", "not received", "haven't received",
    "wrong item", "wrong size", "return it", "return my", "cancel my order", "charged twice", "double charged",
    "complaint", "is late", "delayed", "wrong amount", "tracking number", "where is my", "still waiting", "can't log in", "cannot log in", "can't login", "error message", "crash*"};
const std::vector<std::string_view> callback_words = {
    "call me", "call me back", "call back", "callback", "call-back", "give me a call", "ring me", "phone me",
    "give me a ring", "can someone call", "could someone call", "could you call", "can you call", "please call",
    "have someone call", "speak to someone on the phone", "a call", "rappel*", "rückruf*", "llamadme", "llámame"};
const std::vector<std::string_view> lead_words = {
    "quote", "quotation", "price*", "pricing", "cost*", "how much", "booking", "book a", "book an", "book in", "to book", "appointment",
    "buy", "purchase", "to order", "place an order", "sign up", "subscribe", "demo", "trial", "estimate", "proposal",
    "hire", "rates", "availability", "reserve", "reservation", "interested in", "would like to get", "want to get"};

bool is_spam(std::string_view l, bool offer) {
  if (!first_phrase(l, spam_strong).empty()) return true;
  return !first_phrase(l, spam_weak).empty() && offer;
}
std::size_t links(std::string_view l) {
  std::size_t n = 0;
  for (std::string_view m : {"http://", "https://", "www."})
    for (std::size_t at = l.find(m); at != std::string_view::npos; at = l.find(m, at + 1)) ++n;
  return n;
}

// A line of the summary: one line of text, cut at a UTF-8 boundary.
std::string clip(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s) out += (c == '\n' || c == '\r') ? ' ' : c;
  if (out.size() <= max) return out;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  return out + "…";
}

/// Extractive: the card's method ("rules") labels it, in the store and in the emails and pages.
std::string summarise(const std::vector<transcript_line>& t) {
  std::string s;
  std::size_t first = t.size();
  for (std::size_t i = 0; i < t.size(); ++i)
    if (t[i].role == "user") {
      first = i;
      break;
    }
  if (first == t.size()) return s + "The visitor wrote nothing.";
  s += "Visitor opened with: \"" + clip(t[first].text, 300) + "\"\n";
  std::size_t from = t.size() > 4 ? t.size() - 4 : 0;
  if (from <= first) from = first + 1;
  if (from < t.size()) s += "Last exchanges:\n";
  for (std::size_t i = from; i < t.size(); ++i)
    s += (t[i].role == "user" ? "Visitor: " : "Assistant: ") + clip(t[i].text, 300) + "\n";
  return s;
}

}  // namespace

std::string next_step_for(const lead_card& c) {
  const std::string& e = c.email;
  const std::string& p = c.phone;
  const std::string when = c.preferred_time.empty() ? "" : " (" + c.preferred_time + ")";
  if (c.outcome == "SPAM") return "No follow-up: the conversation looks like spam.";
  if (c.outcome == "SUPPORT")
    return !e.empty()   ? "Pass to support and reply to " + e + " about the problem."
           : !p.empty() ? "Pass to support and call " + p + when + " about the problem."
                        : "Pass to support; no contact details were left, so read the transcript.";
  if (c.outcome == "CALLBACK")
    return !p.empty()   ? "Call " + p + when + " as asked."
           : !e.empty() ? "Email " + e + " to arrange the call they asked for (no number was left)."
                        : "They asked for a call but left no number: read the transcript.";
  if (c.outcome == "LEAD")
    return !e.empty()   ? "Reply to " + e + " with the quote or details they asked for."
           : !p.empty() ? "Call " + p + when + " to follow up on the enquiry."
                        : "No contact details were left: read the transcript for what they wanted.";
  return "No follow-up needed: the visitor asked for information only.";
}

namespace detail {

std::string digits_of(std::string_view s) {
  std::string d;
  for (char c : s)
    if (c >= '0' && c <= '9') d += c;
  return d;
}

bool same_phone(std::string_view a, std::string_view b, std::string_view country) {
  std::string da = digits_of(a), db = digits_of(b);
  if (da.empty() || db.empty()) return false;
  if (da == db) return true;
  auto na = normalize_phone(a, country), nb = normalize_phone(b, country);
  if (na && nb && *na == *nb) return true;
  // "+44 20 7946 0958" and "020 7946 0958": the national number after the trunk 0.
  return da.size() >= 8 && db.size() >= 8 && (da.front() == '0' || db.front() == '0') &&
         (da.ends_with(std::string_view(db).substr(1)) || db.ends_with(std::string_view(da).substr(1)));
}

bool is_business_phone(std::string_view phone, const rules_context& ctx) {
  for (const auto& b : ctx.business_phones)
    if (same_phone(phone, b, ctx.country)) return true;
  return false;
}

bool is_business_email(std::string_view email, const rules_context& ctx) {
  auto mine = normalize_email(email);
  if (!mine) return false;
  for (const auto& b : ctx.business_emails)
    if (auto n = normalize_email(b); n && *n == *mine) return true;
  return false;
}

}  // namespace detail

lead_card extract(const std::vector<transcript_line>& transcript, const rules_context& ctx) {
  lead_card card;
  std::string own_email, first_email;
  std::vector<std::string> spam_lines, support_lines, callback_lines, lead_lines, contact_lines, phone_lines;
  bool offer = false;
  std::size_t link_count = 0;
  for (const auto& line : transcript)
    if (line.role == "user") {
      std::string l = lower_ascii(line.text);
      offer = offer || !first_phrase(l, offer_words).empty() || links(l) > 0;
      link_count += links(l);
    }
  for (const auto& line : transcript) {
    if (line.role != "user") continue;
    std::string l = lower_ascii(line.text);
    bool contact = false;
    for (const auto& e : detail::find_emails(line.text)) {
      if (is_business_email(e.address, ctx) || e.someone_else) continue;
      contact = true;
      if (e.own) own_email = e.address;  // the last one they call their own: a correction wins
      if (first_email.empty()) first_email = e.address;
    }
    for (const auto& p : detail::find_phones(line.text)) {
      if (is_business_phone(p, ctx)) continue;
      auto n = normalize_phone(p, ctx.country);
      if (!n) continue;
      contact = true;
      if (card.phone.empty() || has_phrase(l, "my number") || has_phrase(l, "call me") || has_phrase(l, "reach me"))
        card.phone = *n;
      phone_lines.push_back(line.text);
    }
    auto named = detail::find_name(line.text);
    if (card.name.empty()) card.name = named.name;
    if (card.company.empty()) card.company = named.company;
    if (card.preferred_time.empty()) {
      std::string t = detail::find_preferred_time(line.text);
      bool wants_call = !first_phrase(l, callback_words).empty() || !first_phrase(l, {"best", "works", "available", "free", "reach", "prefer*", "suits", "call*", "ring"}).empty();
      if (wants_call) card.preferred_time = t;
    }
    if (is_spam(l, offer)) spam_lines.push_back(line.text);
    bool refund_policy = has_phrase(l, "refund policy") && first_phrase(l, {"my order", "broken", "not working", "damaged"}).empty();
    if (!first_phrase(l, support_words).empty() && !refund_policy) support_lines.push_back(line.text);
    if (!first_phrase(l, callback_words).empty()) callback_lines.push_back(line.text);
    if (!first_phrase(l, lead_words).empty()) lead_lines.push_back(line.text);
    if (contact) contact_lines.push_back(line.text);
  }
  card.email = !own_email.empty() ? own_email : first_email;
  if (link_count >= 3 && spam_lines.empty())
    for (const auto& line : transcript)
      if (line.role == "user" && links(lower_ascii(line.text)) > 0) spam_lines.push_back(line.text);
  if (!spam_lines.empty()) {
    card.outcome = "SPAM", card.evidence = spam_lines;
  } else if (!support_lines.empty()) {
    card.outcome = "SUPPORT", card.evidence = support_lines;
  } else if (!callback_lines.empty()) {
    card.outcome = "CALLBACK", card.evidence = callback_lines;
  } else if (!card.phone.empty() && card.email.empty()) {
    card.outcome = "CALLBACK", card.evidence = phone_lines;  // a phone left alone is left to be called
  } else if (!lead_lines.empty() || !contact_lines.empty()) {
    card.outcome = "LEAD", card.evidence = !lead_lines.empty() ? lead_lines : contact_lines;
  } else {
    card.outcome = "INFO_ONLY";
  }
  card.summary = summarise(transcript);
  card.next_step = next_step_for(card);
  card.method = "rules";
  return card;
}

}  // namespace salient::lead_rules
