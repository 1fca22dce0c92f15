#pragma once
// What the render layer's template users (templates.cpp, summary_templates.cpp,
// handoff_templates.cpp) share: the escaping rules, rendering one embedded template, and the
// email frame (header and footer partials, brand colour, privacy link) with the lead card's
// partial. Internal to shared/render/.
//
// Escaping: HTML templates use the engine's default, which escapes & < > " ' in every {{name}};
// no template uses {{{name}}}. Plain-text templates are rendered with one_line() as the escape
// function instead, so that no value (the business name from the config, a line a visitor
// typed) can start a line of its own: in a subject a CR or LF would start a header of the
// email, and in a text part a fake line ("Your code is …", "Email: …").
#include <mustache.hpp>

#include <string>
#include <string_view>

#include "salient/render/templates.h"

namespace salient::detail {

namespace mstch = kainjow::mustache;

/// `text` on one line: CR, LF and the other C0 controls, DEL, NEL and the Unicode line and
/// paragraph separators become spaces; the bidi controls (which can make a line read in a
/// different order than it is written) are dropped. Other bytes, UTF-8 included, are kept.
std::string one_line(const std::string& text);

enum class escaping { html, plain_text };

/// Renders templates/<name> with `vars`. Empty if the template does not parse (they are ours, and
/// the tests render every one).
std::string render_template(std::string_view name, const mstch::data& vars, escaping esc);

/// templates/<name> as a partial, for `{{> name}}`.
mstch::partial partial_of(std::string_view name);

/// "#rrggbb": the only colour text allowed into a style attribute.
bool is_hex_color(std::string_view s);

/// Only an absolute http(s) link without spaces or controls goes into an email: a mail client
/// cannot follow a site-relative one, and any other scheme (javascript:) must never be a link.
bool email_link_ok(std::string_view url);

/// Which "You got this email because …" line the footer shows.
enum class email_kind { otp_code, admin_code, nothing_held, data_erased, lead_summary, handoff_team, handoff_visitor };

/// The variables every email shares: business_name, brand_color, subject, the footer's kind
/// flags, and has_privacy_link/privacy_url.
mstch::data email_vars(const email_brand& brand, email_kind kind, const std::string& subject);

/// The HTML and text parts of templates/<stem>.html.mustache and <stem>.txt.mustache, with the
/// email_header, email_footer and lead_card partials; the text part ends in one newline.
rendered_email render_email(std::string_view stem, std::string subject, mstch::data vars);

/// "1 minute", "14 messages".
std::string count_of(long n, std::string_view one, std::string_view many);

}  // namespace salient::detail
