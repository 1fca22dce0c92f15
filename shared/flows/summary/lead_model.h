#pragma once
// The model path of conversation summaries, the pure parts: the object the model is asked for,
// the messages that ask for it, and the check of its answer against the transcript. Pure and
// sans-IO; summarize.h makes the call (ask_structured) and falls back to the rules.
//
// The model's answer is treated like any untrusted input: a field it fills is kept only when
// the transcript backs it. The email must be an address the visitor wrote (plainly or
// obfuscated), the phone a number the visitor wrote, neither the business's own; each evidence
// quote must be found in a visitor's line; the outcome must be one of the five. The transcript
// is sent as data inside <transcript> tags, and the visitor cannot forge a line or close the tag.
#include <string>
#include <string_view>
#include <vector>

#include "salient/upstream/openrouter/llm_client.h"
#include "salient/upstream/openrouter/structured_output.h"

#include "flows/summary/lead_rules.h"

namespace salient::lead_model {

/// The "lead" object: summary, needs[], interests[], name, email, phone, company, address,
/// preferred_time, language, outcome, evidence[], next_step; contact fields nullable.
const object_spec& lead_spec();

/// At most this many bytes of transcript go to the model (the first visitor message, then the
/// most recent lines that fit); each line at most max_line_bytes.
inline constexpr std::size_t transcript_budget_bytes = 12000;
inline constexpr std::size_t max_line_bytes = 3000;

/// The user message: the transcript as "Visitor: …" / "Assistant: …" lines between
/// <transcript> tags, bounded (above); "[… N messages left out …]" where lines were dropped.
std::string transcript_text(const std::vector<lead_rules::transcript_line>& transcript);

/// system (the task, the outcome classes, the rules for quoting and for the transcript as data)
/// and user (transcript_text).
std::vector<chat_message> prompt_messages(const std::vector<lead_rules::transcript_line>& transcript,
                                          std::string_view app_name);

/// The card from a value that parse_structured validated against lead_spec(), each field checked
/// against the transcript (top of file); method "model". An outcome that is not one of the five
/// becomes the rules' outcome, with the rules' evidence.
lead_rules::lead_card card_from_model(const structured_value& value,
                                      const std::vector<lead_rules::transcript_line>& transcript,
                                      const lead_rules::rules_context& ctx);

namespace detail {

/// Runs of whitespace as one space, trimmed: how quotes and lines are compared.
std::string squeeze_spaces(std::string_view s);

/// True when `quote` (trimmed of quotation marks, whitespace squeezed, at least 3 bytes) is part
/// of one of the visitor's lines.
bool quoted_from_visitor(std::string_view quote, const std::vector<lead_rules::transcript_line>& transcript);

/// True when the visitor's lines hold every word of `text`, ASCII case ignored: "bo chen" backs
/// "Bo Chen", and so does "bo.chen@example.com" (a name read off an address).
bool said_by_visitor(std::string_view text, const std::vector<lead_rules::transcript_line>& transcript);

}  // namespace detail
}  // namespace salient::lead_model
