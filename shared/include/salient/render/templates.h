#pragma once
// The one-time-code feature's emails and pages, rendered from Mustache templates
// (shared/render/templates/*.mustache, embedded at build time) with kainjow/mustache.
//
// Every value is escaped for where it lands: HTML-escaped in HTML ({{name}} only; no template
// inserts a visitor's or the config's text with {{{name}}}), and in the plain-text parts and
// subjects kept on one line (control characters become spaces, bidi controls are dropped).
//
// The htmx fragments are a contract with the page's scripts (widget/page/): they are swapped
// into a `.otp-flow` container (each form targets `closest .otp-flow`), the resend button
// carries data-resend-after (seconds; the script counts down and enables it, since the CSP
// forbids inline scripts), the code input carries data-otp-code (the script strips the spaces of
// a pasted "123 456" before maxlength cuts it), and an error replaces the form's empty
// #otp-error slot (the response sets `HX-Retarget: #otp-error` and `HX-Reswap: outerHTML`).
#include <string>
#include <string_view>

namespace salient {

/// The business as its emails and the privacy page name it (from salient.yaml).
struct email_brand {
  std::string business_name;  ///< app.name
  std::string brand_color;    ///< "#rrggbb" (anything else renders in a neutral colour)
  /// A link to /a/{agent}/privacy, absolute or site-relative; may be empty. Emails show it only
  /// when absolute (http/https): a site-relative link means nothing in a mail client.
  std::string privacy_url;
};

struct rendered_email {
  std::string subject, text, html;  ///< the subject has no CR or LF
};

/// admin_sign_in: an operator's code for /admin/ (flows/admin), never a visitor's.
enum class otp_purpose { link_session, delete_data, admin_sign_in };

/// The one-time code email. `code` is the 6 digits (or the masked "••••••" the lead stores).
rendered_email render_otp_code_email(const email_brand& brand, otp_purpose purpose, std::string_view code,
                                     int valid_minutes);
/// delete_data requested for an address the site holds nothing for (no code in it).
rendered_email render_nothing_held_email(const email_brand& brand);

/// What an erasure deleted.
struct erasure_counts {
  long sessions = 0, messages = 0, summaries = 0, profiles = 0, emails = 0;
};
/// After an erasure: what was deleted (counts) and what lives outside the database (the email
/// provider's logs, the AI model provider).
rendered_email render_data_erased_email(const email_brand& brand, const erasure_counts& counts);

/// The public privacy page /a/{agent}/privacy: an email form that POSTs with htmx to
/// /otp/request (purpose=delete_data, agent=<code>) and swaps in the code form.
std::string render_privacy_page(const email_brand& brand, std::string_view agent_code, std::string_view agent_name);

/// The code-entry form after a code was sent: the address shown, hidden email/purpose/agent
/// fields, the code input (autocomplete="one-time-code", inputmode="numeric",
/// pattern="[0-9]{6}", maxlength 6), POSTed to /otp/verify; and "Send a new code", POSTed to
/// /otp/request with the same fields, disabled for `resend_after_s` seconds.
std::string render_otp_code_form(otp_purpose purpose, std::string_view email, std::string_view agent_code,
                                 int resend_after_s);
/// link_session done: the chat is linked to `email`.
std::string render_otp_verified(std::string_view email);
/// delete_data done.
std::string render_data_erased_page_fragment();
/// An error in either flow (role="alert"), shaped to replace the form's #otp-error slot.
std::string render_otp_error(std::string_view message);

}  // namespace salient
