#pragma once
// The lead card's template variables and the small text helpers the summary and handoff emails
// share (render/summary_templates.cpp, render/handoff_templates.cpp). Internal to shared/render/.
//
// The card's email markup is the partial templates/lead_card_email.{html,txt}.mustache, set as
// {{> lead_card}} by render_email. Those two files end without a newline on purpose: the line
// holding {{> lead_card}} supplies it, so the card's output is what it was inline.
#include <string>
#include <string_view>
#include <vector>

#include "render/template_engine.h"
#include "salient/render/summary_templates.h"

namespace salient::detail {

/// `text` without leading and trailing spaces.
std::string trimmed(std::string text);

/// At most `max` bytes, cut before a UTF-8 sequence rather than inside it, "…" marking the cut.
std::string cut(std::string text, std::size_t max);

/// Whether `email` may follow "mailto:" as it is. The caller validated the address; this is the
/// second, stricter check for the href: plain ASCII local@domain.tld only, so that nothing in it
/// (`?`, `&`, `%0A`, spaces) can add headers (`?bcc=`) or a body to the reply.
bool mailto_ok(std::string_view email);

/// The card: fields (present ones only, has_fields/fields), headline, outcome, evidence, needs,
/// interests, next step, summary and summary_label, into `vars`. Every list item sets every key
/// its template section reads: the engine looks a missing key up in the enclosing context, so an
/// item without "mailto" would otherwise find another one.
void set_lead_vars(mstch::data& vars, const lead_view& lead);

/// The engine leaves a false section's standalone lines behind as an empty line: a text part
/// keeps one empty line between blocks, whichever blocks are present.
void squeeze_blank_lines(std::string& text);

}  // namespace salient::detail
