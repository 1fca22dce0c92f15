#pragma once
// The rules path of conversation summaries: when there is no model, the lead's details are read
// from the transcript by rules. Pure and sans-IO: a transcript and the business's own contact
// details in, a lead card out. Only the visitor's lines (role "user") are read for contact
// fields and the outcome; the assistant's lines appear only in the summary.
//
// Theory of operation: each visitor line is scanned on its own (emails, phones, a name, a
// preferred time, the outcome's phrases); extract() then chooses among what the lines gave. No
// std::regex (the wasm build has no exceptions): small scanners over bytes, ASCII-case-folded.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace salient::lead_rules {

struct transcript_line {
  std::string role;  ///< "user" | "assistant"
  std::string text;
};

struct rules_context {
  std::string country;                       ///< ISO 3166 alpha-2 ("US", "GB", …) or empty
  std::vector<std::string> business_emails;  ///< the business's own: never the visitor's
  std::vector<std::string> business_phones;  ///< as written; compared by digits
};

/// The lead as the sales team reads it: filled by these rules (method "rules") or by the model
/// and then checked against the transcript (lead_model.h, method "model"). Empty = not known.
struct lead_card {
  std::string name, email, phone, company, address, preferred_time;
  std::string language;                       ///< the visitor's, e.g. "en", "pt-BR"; the rules leave it empty
  std::string outcome;                        ///< LEAD | CALLBACK | INFO_ONLY | SUPPORT | SPAM
  std::vector<std::string> evidence;          ///< visitor lines (or parts of them) quoted verbatim
  std::vector<std::string> needs, interests;  ///< the visitor's needs; products/services of interest
  std::string next_step;                      ///< what the sales team should do, one sentence
  std::string summary;                        ///< the rules': extractive (method "rules" labels it)
  std::string method;                         ///< "model" | "rules"
  bool operator==(const lead_card&) const = default;
};

/// The lead's details from `transcript`. Never fails: fields not found stay empty, and the outcome
/// is INFO_ONLY when no rule decides. The email is lower-cased and valid (is_email_address); the
/// phone is normalize_phone's answer for ctx.country. method "rules", next_step by outcome.
lead_card extract(const std::vector<transcript_line>& transcript, const rules_context& ctx);

/// The rules' suggestion for the team, from the card's outcome and contact fields ("Reply to
/// ana@example.com with the quote …", "Call +14155550100 (after 5pm) as asked.").
std::string next_step_for(const lead_card& card);

/// The card as one compact JSON object, every field present (unknown strings as "", lists as
/// []): what conversation_summaries.lead stores.
std::string lead_card_json(const lead_card& card);

/// "+44 20 7946 0958" → "+442079460958"; a local number normalised with the country's rules table
/// (national trunk prefix dropped, country code added: US/CA "(415) 555-0100" → "+14155550100",
/// GB "020 7946 0958" → "+442079460958", DE "030 123456" → "+4930123456", FR "01 23 45 67 89" →
/// "+33123456789"). "00…" (and "011…" in US/CA) is read as "+…". nullopt when it is not a phone
/// number (other characters than digits, spaces, dots, dashes, parentheses and a leading '+'; fewer
/// than 7 or more than 15 digits). Kept as written (trimmed) when the country is unknown, or when
/// the number does not fit the country's table (a foreign number written without its '+').
std::optional<std::string> normalize_phone(std::string_view written, std::string_view country);

namespace detail {

/// ASCII lower-case; other bytes (UTF-8) unchanged.
std::string lower_ascii(std::string_view s);

/// True when `lower_text` holds `phrase` (lower-case) between word boundaries. A trailing '*' in
/// the phrase matches any rest of the word ("backlink*" matches "backlinks").
bool has_phrase(std::string_view lower_text, std::string_view phrase);

/// The first of `phrases` that has_phrase finds, or empty.
std::string_view first_phrase(std::string_view lower_text, const std::vector<std::string_view>& phrases);

struct email_found {
  std::string address;        ///< normalised (normalize_email)
  bool own = false;           ///< introduced as the visitor's ("my email is", "reach me at")
  bool someone_else = false;  ///< introduced as someone else's ("cc my colleague")
};
/// The addresses in one line, plain or obfuscated ("ana at example dot com", "ana[at]x[dot]com").
std::vector<email_found> find_emails(std::string_view text);

/// The phone numbers in one line, as written (trimmed); order, invoice, tracking and other
/// reference numbers are left out.
std::vector<std::string> find_phones(std::string_view text);

struct name_found {
  std::string name, company;
};
/// The visitor's name (and company) when the line introduces them ("I'm Ana", "this is Ana from Acme").
name_found find_name(std::string_view text);

/// When the visitor would like to be called ("after 5pm", "mornings", "tomorrow at 10"), or empty.
std::string find_preferred_time(std::string_view text);

/// The digits of `s`, in order.
std::string digits_of(std::string_view s);

/// True when `a` and `b` are one number, however each was written ("+44 20 7946 0958" and
/// "020 7946 0958" with or without the country).
bool same_phone(std::string_view a, std::string_view b, std::string_view country);

/// True when the number or the (normalised) address is one of the business's own.
bool is_business_phone(std::string_view phone, const rules_context& ctx);
bool is_business_email(std::string_view email, const rules_context& ctx);

}  // namespace detail
}  // namespace salient::lead_rules
