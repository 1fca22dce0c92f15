// The one-time-code feature's emails and pages (shared/render/templates.cpp): every template
// renders, hostile values are escaped in HTML and stay on their line in text and subjects.
//
// tests/support/html_safety.h is not used here: its allowlist is the widget's Markdown
// renderer's exact output (no form, input, html or head), so these checks are written for
// these pages instead.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <string_view>

#include "salient/render/templates.h"

using namespace salient;

namespace {

bool has(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

bool has_digit(std::string_view s) {
  for (char c : s)
    if (c >= '0' && c <= '9') return true;
  return false;
}

// A business name (from the config) and an address (from a visitor) that try everything.
constexpr std::string_view hostile =
    "Acme <script>alert(1)</script> \"q\" 'a' {{code}} {{{raw}}}\r\nBcc: victim@example.com\r\n\r\nYour code is 000000";

email_brand plain_brand() { return {"Acme Tools", "#0a7cff", "https://acme.example/a/sales/privacy"}; }
email_brand hostile_brand() { return {std::string(hostile), "#0a7cff", "https://acme.example/a/sales/privacy"}; }

// No raw markup from the hostile value: its '<' and quotes arrive escaped.
void check_html_escaped(std::string_view html) {
  CHECK_FALSE(has(html, "<script>alert"));
  CHECK_FALSE(has(html, "\"q\""));
  CHECK(has(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  // Braces are text in HTML; the engine did not read them as tags (the value is not a template).
  CHECK(has(html, "{{code}} {{{raw}}}"));
}

// Plain text: the value is on one line, so it cannot start "Bcc:" or "Your code is" lines.
void check_text_one_line(std::string_view text) {
  CHECK_FALSE(has(text, "\nBcc:"));
  CHECK_FALSE(has(text, "\nYour code is 000000"));
  CHECK_FALSE(has(text, "\r"));
  CHECK(has(text, "Acme <script>alert(1)</script> \"q\" 'a' {{code}} {{{raw}}}  Bcc: victim@example.com"));
}

void check_subject(std::string_view subject) {
  CHECK_FALSE(subject.empty());
  CHECK_FALSE(has(subject, "\r"));
  CHECK_FALSE(has(subject, "\n"));
}

void check_email_complete(const rendered_email& e) {
  check_subject(e.subject);
  CHECK(has(e.html, "<!doctype html>"));
  CHECK(has(e.html, "</html>"));
  CHECK_FALSE(e.text.empty());
  CHECK_FALSE(has(e.text, "<"));  // no markup in the text part of a plain brand
  CHECK_FALSE(has(e.html, "{{"));
  CHECK_FALSE(has(e.text, "{{"));
}

}  // namespace

TEST_CASE("templates: the code email carries the code, its lifetime, single use, and ignore-if-not-you", "[templates]") {
  for (auto purpose : {otp_purpose::link_session, otp_purpose::delete_data}) {
    auto e = render_otp_code_email(plain_brand(), purpose, "123456", 15);
    check_email_complete(e);
    CHECK(has(e.html, "123456"));
    CHECK(has(e.text, "123456"));
    CHECK_FALSE(has(e.subject, "123456"));
    for (std::string_view part : {std::string_view(e.html), std::string_view(e.text)}) {
      CHECK(has(part, "valid for 15 minutes"));
      CHECK(has(part, "used once"));
      CHECK(has(part, "If you did not ask for this, ignore this email"));
      CHECK(has(part, "Acme Tools"));
      CHECK(has(part, "https://acme.example/a/sales/privacy"));  // a visible plain link
    }
    CHECK(has(e.html, "<a href=\"https://acme.example/a/sales/privacy\""));
    CHECK(has(e.html, "#0a7cff"));
  }
  CHECK(has(render_otp_code_email(plain_brand(), otp_purpose::link_session, "123456", 1).text, "valid for 1 minute "));
  CHECK(has(render_otp_code_email(plain_brand(), otp_purpose::delete_data, "123456", 10).subject, "delete"));
}

TEST_CASE("templates: the masked code email has no digits in its code or subject", "[templates]") {
  auto e = render_otp_code_email(plain_brand(), otp_purpose::link_session, "••••••", 10);
  CHECK(has(e.html, "••••••"));
  CHECK(has(e.text, "••••••"));
  CHECK_FALSE(has_digit(e.subject));
  // The only digits left are the lifetime's ("valid for 10 minutes") and the HTML's styling.
  auto code_line_at = e.text.find("••••••");
  auto line_start = e.text.rfind('\n', code_line_at) + 1;
  CHECK_FALSE(has_digit(e.text.substr(line_start, e.text.find('\n', code_line_at) - line_start)));
}

TEST_CASE("templates: hostile business names are escaped in HTML and stay on one line in text and subjects", "[templates]") {
  auto code = render_otp_code_email(hostile_brand(), otp_purpose::delete_data, "123456", 10);
  auto none = render_nothing_held_email(hostile_brand());
  auto gone = render_data_erased_email(hostile_brand(), {});
  for (const auto* e : {&code, &none, &gone}) {
    check_subject(e->subject);
    check_html_escaped(e->html);
    check_text_one_line(e->text);
  }
  CHECK(has(code.text, "\n    123456\n"));  // the real code is still on its own line
  auto page = render_privacy_page(hostile_brand(), "sales", hostile);
  check_html_escaped(page);
  auto form = render_otp_code_form(otp_purpose::link_session, hostile, "sales", 60);
  check_html_escaped(form);
  check_html_escaped(render_otp_verified(hostile));
  check_html_escaped(render_otp_error(hostile));
}

TEST_CASE("templates: a brand colour or privacy link that is not what config promises is left out", "[templates]") {
  email_brand b{"Acme", "red;background:url(x)", "javascript:alert(1)"};
  auto e = render_otp_code_email(b, otp_purpose::link_session, "123456", 10);
  CHECK_FALSE(has(e.html, "red;"));
  CHECK_FALSE(has(e.html, "javascript:"));
  CHECK_FALSE(has(e.text, "javascript:"));
  b.privacy_url = "/a/sales/privacy";  // site-relative: fine on the site, useless in an email
  CHECK_FALSE(has(render_nothing_held_email(b).html, "/a/sales/privacy"));
  b.privacy_url = "https://acme.example/a/sales/privacy\r\nBcc: x@example.com";
  CHECK_FALSE(has(render_nothing_held_email(b).text, "Bcc:"));
}

TEST_CASE("templates: nothing held says so and carries no code", "[templates]") {
  auto e = render_nothing_held_email(plain_brand());
  check_email_complete(e);
  CHECK(has(e.text, "nothing to delete"));
  CHECK(has(e.html, "If you did not ask for this, ignore this email"));
  CHECK_FALSE(has_digit(e.text.substr(0, e.text.find("https://"))));
}

TEST_CASE("templates: the data-erased email counts what went and names what lives elsewhere", "[templates]") {
  auto e = render_data_erased_email(plain_brand(), {.sessions = 2, .messages = 14, .summaries = 1, .profiles = 1, .emails = 1});
  check_email_complete(e);
  for (std::string_view part : {std::string_view(e.html), std::string_view(e.text)}) {
    CHECK(has(part, "2 conversations"));
    CHECK(has(part, "14 messages"));
    CHECK(has(part, "1 conversation summary"));
    CHECK(has(part, "1 visitor profile"));
    CHECK(has(part, "1 email address"));
    CHECK(has(part, "email provider"));
    CHECK(has(part, "AI model"));
  }
  CHECK(has(render_data_erased_email(plain_brand(), {}).text, "no stored records"));
}

TEST_CASE("templates: the privacy page posts the address to /otp/request for delete_data, without inline script", "[templates]") {
  auto page = render_privacy_page(plain_brand(), "sales", "Sales assistant");
  CHECK(has(page, "<!doctype html>"));
  CHECK(has(page, "hx-post=\"/otp/request\""));
  CHECK(has(page, "name=\"purpose\" value=\"delete_data\""));
  CHECK(has(page, "name=\"agent\" value=\"sales\""));
  CHECK(has(page, "type=\"email\" name=\"email\""));
  CHECK(has(page, "class=\"otp-flow\""));
  CHECK(has(page, "id=\"otp-error\""));
  CHECK(has(page, "src=\"/assets/htmx.min.js\""));
  // The CSP allows 'self' scripts and styles only: every <script> has a src, no handlers, no style.
  for (std::size_t at = page.find("<script"); at != std::string::npos; at = page.find("<script", at + 1))
    CHECK(page.substr(at, 13) == "<script src=\"");
  CHECK_FALSE(has(page, "<script>"));
  CHECK_FALSE(has(page, " onclick="));
  CHECK_FALSE(has(page, " onload="));
  CHECK_FALSE(has(page, "style="));
  CHECK_FALSE(has(page, "<style"));
  CHECK_FALSE(has(page, "hx-on"));
}

TEST_CASE("templates: the code form has the one-time-code input, the hidden fields and the resend countdown", "[templates]") {
  auto form = render_otp_code_form(otp_purpose::delete_data, "ann@example.com", "sales", 45);
  CHECK(has(form, "hx-post=\"/otp/verify\""));
  CHECK(has(form, "<strong>ann@example.com</strong>"));
  CHECK(has(form, "name=\"email\" value=\"ann@example.com\""));
  CHECK(has(form, "name=\"purpose\" value=\"delete_data\""));
  CHECK(has(form, "name=\"agent\" value=\"sales\""));
  CHECK(has(form, "autocomplete=\"one-time-code\""));
  CHECK(has(form, "inputmode=\"numeric\""));
  CHECK(has(form, "pattern=\"[0-9]{6}\""));
  CHECK(has(form, "maxlength=\"6\""));
  CHECK(has(form, "hx-post=\"/otp/request\""));
  CHECK(has(form, "data-resend-after=\"45\" disabled>Send a new code</button>"));
  CHECK(has(form, "role=\"alert\""));
  CHECK_FALSE(has(form, "<script"));
  CHECK_FALSE(has(form, "style="));
  auto link = render_otp_code_form(otp_purpose::link_session, "ann@example.com", "sales", -5);
  CHECK(has(link, "name=\"purpose\" value=\"link_session\""));
  CHECK(has(link, "data-resend-after=\"0\""));
}

TEST_CASE("templates: the success and error fragments render", "[templates]") {
  auto verified = render_otp_verified("ann@example.com");
  CHECK(has(verified, "<strong>ann@example.com</strong>"));
  CHECK(has(verified, "role=\"status\""));
  auto erased = render_data_erased_page_fragment();
  CHECK(has(erased, "deleted"));
  CHECK(has(erased, "role=\"status\""));
  auto error = render_otp_error("That code has expired.");
  CHECK(error == "<div id=\"otp-error\" class=\"otp-error\" role=\"alert\">That code has expired.</div>\n");
}
