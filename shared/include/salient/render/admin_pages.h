#pragma once
// The operator's pages (/admin/, issue 20): server-rendered HTML from Mustache templates
// (shared/render/templates/admin_*.html.mustache), no script at all, plain GET and POST forms.
//
// This public header holds what needs no JSON: the frame every signed-in page shows, the
// signed-out pages and the time helper. The pages built from the store's JSON answers,
// and the CSV and YAML downloads, take nlohmann::json, which stays out of public headers
// (tests/layout/layers.test.mjs): they are declared in the render layer's private header
// "render/admin_pages.h", which includes this one. A flow includes that one.
//
// Why the pages are built this way:
// - Every value is escaped by the engine ({{x}}; no template uses {{{x}}}): names, messages and
//   notes come from visitors, and a page an operator opens while signed in must not run them.
// - No script: the pages follow the pages' CSP (`script-src 'self'`, `style-src 'self'`, no
//   inline style) with nothing to allow, and work in any browser. Charts are inline SVG.
// - Links are only our own /admin/ paths or, for citations, absolute http(s) URLs; a session id
//   reaches a URL only when it is uuid-shaped (is_uuid, salient/core/entropy.h), so nothing else
//   can be spliced into a path.
// - Every form that changes something carries the session's CSRF token as a hidden field `csrf`.
// - Nothing here reads a clock: times arrive as epoch milliseconds and are shown in UTC.
#include <cstdint>
#include <string>

namespace salient {

/// What every signed-in page shows.
struct admin_frame {
  std::string business_name;  ///< cfg.app.name, in the title and the header
  std::string admin_email;    ///< who is signed in (shown in the header)
  std::string csrf;           ///< goes into every form as <input type=hidden name=csrf>
  std::string active;         ///< nav item: "dashboard" | "conversations" | "leads" | "config" | "warnings"
};

/// The sign-in page (GET /admin/ when signed out): an email form posting to /admin/sign-in, with
/// `error` above it when not empty. configured=false: admin.emails in salient.yaml is empty, so
/// the page says so and shows no form.
std::string render_admin_sign_in(const std::string& business_name, const std::string& error, bool configured);

/// After POST /admin/sign-in: "If this address may sign in, we sent it a code", the code form
/// (POST /admin/verify with the email hidden), `error` when not empty, and "use another address".
/// The same page for any address, so it does not tell which addresses may sign in.
std::string render_admin_code_form(const std::string& business_name, const std::string& email, const std::string& error);

/// A plain page for errors ("Not found", "The store is unavailable"), without the nav: it is also
/// shown to someone who is not signed in.
std::string render_admin_message(const std::string& business_name, const std::string& title, const std::string& text);

/// Epoch milliseconds as "YYYY-MM-DD HH:MM" in UTC (the pages' one time format); empty for a
/// negative time or one after the year 9999.
std::string admin_utc_minute(std::int64_t epoch_ms);

}  // namespace salient
