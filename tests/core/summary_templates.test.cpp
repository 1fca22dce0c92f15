// The sales handoff's email and pages (shared/render/summary_templates.cpp): present fields
// only, the rules label, the transcript link, the noindex page, and every value a visitor or a
// model supplied escaped in HTML and kept on its line in the text part and the subject.
//
// The HTML checks reuse tests/support/html_safety.h, whose allowlist is the widget renderer's
// output, on the templates' markup brought to that form first (as_fragment, email_fragment.h).
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <string_view>

#include "email_fragment.h"
#include "html_safety.h"
#include "salient/render/summary_templates.h"

using namespace salient;
using namespace salient::test;

namespace {

// What a visitor or a model could write: markup, an attribute break-out, template tags, header
// and line injection.
const std::string hostile =
    "Ana <script>alert(1)</script> \"><img src=x onerror=alert(1)> 'a' {{summary}} {{{raw}}}\r\nBcc: victim@example.com\r\n\r\nEmail: evil@example.com";
constexpr std::string_view hostile_one_line =
    "Ana <script>alert(1)</script> \"><img src=x onerror=alert(1)> 'a' {{summary}} {{{raw}}}  Bcc: victim@example.com    Email: evil@example.com";

lead_view full_lead() {
  lead_view lead;
  lead.name = "Ana Lima";
  lead.email = "ana.lima@example.com";
  lead.phone = "+351912345678";
  lead.company = "Lima Arquitetura";
  lead.address = "Rua das Flores 12, Lisboa";
  lead.preferred_time = "weekday mornings";
  lead.language = "pt";
  lead.outcome = "LEAD";
  lead.evidence = {"Can you send me a quote for 40 olive trees?"};
  lead.needs = {"olive trees for a courtyard"};
  lead.interests = {"planting service", "irrigation"};
  lead.next_step = "Send a quote by Friday";
  lead.summary = "Ana wants 40 olive trees planted.\nShe asked for a quote.";
  lead.method = "model";
  lead.email_verified = true;
  return lead;
}

lead_view hostile_lead() {
  lead_view lead;
  for (std::string* field : {&lead.name, &lead.email, &lead.phone, &lead.company, &lead.address, &lead.preferred_time,
                             &lead.language, &lead.outcome, &lead.next_step, &lead.summary})
    *field = hostile;
  lead.evidence = lead.needs = lead.interests = {hostile};
  lead.method = "rules";
  return lead;
}

email_brand brand() { return {"Brightleaf Gardens", "#1f6f4a", "https://brightleaf.example/a/sales/privacy"}; }

summary_email_view email_view(lead_view lead) {
  summary_email_view v;
  v.brand = brand();
  v.agent_name = "Sales assistant";
  v.lead = std::move(lead);
  v.transcript_url = "https://brightleaf.example/a/sales/transcript/tok_abc.def";
  v.link_expires = "21 Dec 2026";
  v.started_at = "2026-12-07 10:02 UTC";
  v.last_message_at = "2026-12-07 10:15 UTC";
  v.message_count = 12;
  v.trigger = "button";
  return v;
}

transcript_page_view page_view(lead_view lead) {
  transcript_page_view v;
  v.brand = brand();
  v.agent_name = "Sales assistant";
  v.lead = std::move(lead);
  v.lines = {{"user", "Hi!\nI need 40 olive trees.", "10:02"}, {"assistant", "Happy to help.", "10:03"}};
  v.expires = "21 Dec 2026";
  return v;
}

void check_html_safe(std::string_view html) {
  INFO(html);
  CHECK(salient::test::html_safety_problem(as_fragment(html)).empty());
  CHECK_FALSE(has(html, "<script>alert"));
  CHECK_FALSE(has(html, "<img"));
  CHECK(has(html, "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
  CHECK(has(html, "{{summary}} {{{raw}}}"));  // a value's braces are text, not read as tags
}

}  // namespace

TEST_CASE("summary templates: the email carries the lead card, the outcome with its evidence and the transcript link", "[summary_templates]") {
  auto e = render_summary_email(email_view(full_lead()));
  CHECK(e.subject == "New lead: Ana Lima (LEAD) — Brightleaf Gardens");
  for (std::string_view part : {std::string_view(e.html), std::string_view(e.text)}) {
    for (std::string_view value : {"Ana Lima", "ana.lima@example.com", "+351912345678", "Lima Arquitetura",
                                   "Rua das Flores 12, Lisboa", "weekday mornings", "Can you send me a quote for 40 olive trees?",
                                   "olive trees for a courtyard", "planting service", "irrigation", "Send a quote by Friday",
                                   "https://brightleaf.example/a/sales/transcript/tok_abc.def", "21 Dec 2026",
                                   "12 messages with Sales assistant, from 2026-12-07 10:02 UTC to 2026-12-07 10:15 UTC",
                                   "the visitor pressed", "verified", "Brightleaf Gardens"})
      CHECK(has(part, value));
    CHECK_FALSE(has(part, "Summary by rules"));
    CHECK_FALSE(has(part, "brightleaf.example/a/sales/privacy"));  // the visitor's page, not the team's
  }
  CHECK(has(e.html, "<a href=\"mailto:ana.lima@example.com\""));
  CHECK(has(e.html, "<a href=\"https://brightleaf.example/a/sales/transcript/tok_abc.def\""));
  CHECK(has(e.html, ">Read the conversation</a>"));
  CHECK(has(e.html, "<blockquote"));
  CHECK(has(e.html, "<!doctype html>"));
  CHECK(has(e.html, "#1f6f4a"));
  CHECK(salient::test::html_safety_problem(as_fragment(e.html)).empty());
  // The text part: one line per field, the evidence quoted, a summary's own line breaks kept out.
  CHECK(has(e.text, "\nName: Ana Lima\n"));
  CHECK(has(e.text, "\nEmail: ana.lima@example.com (verified)\n"));
  CHECK(has(e.text, "\nPreferred time: weekday mornings\n"));
  CHECK(has(e.text, "\nOutcome: LEAD\n  > Can you send me a quote for 40 olive trees?\n"));
  CHECK(has(e.text, "\nInterested in:\n  - planting service\n  - irrigation\n"));
  CHECK(has(e.text, "\nSummary:\nAna wants 40 olive trees planted. She asked for a quote.\n"));
  CHECK(has(e.text, "\nRead the conversation: https://brightleaf.example/a/sales/transcript/tok_abc.def\n"));
  CHECK_FALSE(has(e.text, "<"));
  CHECK_FALSE(has(e.text, "{{"));
  CHECK(e.text.ends_with(".\n"));
}

TEST_CASE("summary templates: absent fields, lists and links are left out", "[summary_templates]") {
  lead_view lead;
  lead.outcome = "INFO_ONLY";
  lead.summary = "Asked about opening hours.";
  lead.method = "model";
  summary_email_view v = email_view(lead);
  v.transcript_url.clear();
  v.trigger = "sweep";
  auto e = render_summary_email(v);
  CHECK(e.subject == "Conversation summary: INFO_ONLY — Brightleaf Gardens");
  for (std::string_view part : {std::string_view(e.html), std::string_view(e.text)}) {
    for (std::string_view label : {"Name", "Email", "Phone", "Company", "Address", "Preferred time", "Language",
                                   "Needs", "Interested in", "Next step", "Read the conversation", "verified", "mailto:"})
      CHECK_FALSE(has(part, label));
    CHECK(has(part, "Asked about opening hours."));
    CHECK(has(part, "went quiet"));
  }
  CHECK_FALSE(has(e.html, "<blockquote"));
  CHECK_FALSE(has(e.html, "<table class=\"lead-card\""));
  CHECK_FALSE(has(e.text, "\n\n\n"));  // no empty sections left behind

  // Unverified address: no badge. An address this layer does not trust as an href: text only.
  lead = full_lead();
  lead.email_verified = false;
  e = render_summary_email(email_view(lead));
  CHECK(has(e.html, "mailto:ana.lima@example.com"));
  CHECK_FALSE(has(e.html, "verified"));
  CHECK(has(e.text, "\nEmail: ana.lima@example.com\n"));
  lead.email = "ana@example.com?bcc=boss@example.com";
  e = render_summary_email(email_view(lead));
  CHECK_FALSE(has(e.html, "mailto:"));
  CHECK(has(e.html, "ana@example.com?bcc=boss@example.com"));

  // A site-relative link is written out, not linked; a javascript: one never becomes a link.
  v = email_view(full_lead());
  v.transcript_url = "/a/sales/transcript/tok_abc";
  e = render_summary_email(v);
  CHECK_FALSE(has(e.html, "href=\"/a/sales"));
  CHECK(has(e.html, "Read the conversation on the site: /a/sales/transcript/tok_abc"));
  v.transcript_url = "javascript:alert(1)";
  CHECK_FALSE(has(render_summary_email(v).html, "href=\"javascript:"));
}

TEST_CASE("summary templates: the rules label only for a summary made by rules", "[summary_templates]") {
  lead_view lead = full_lead();
  lead.method = "rules";
  auto e = render_summary_email(email_view(lead));
  CHECK(has(e.html, "Summary by rules (no model)"));
  CHECK(has(e.text, "\nSummary by rules (no model):\n"));
  CHECK(has(render_transcript_page(page_view(lead)), "Summary by rules (no model)"));
  lead.method = "model";
  CHECK_FALSE(has(render_summary_email(email_view(lead)).text, "by rules"));
  CHECK_FALSE(has(render_transcript_page(page_view(lead)), "by rules"));
  lead.method.clear();
  CHECK_FALSE(has(render_summary_email(email_view(lead)).html, "by rules"));
}

TEST_CASE("summary templates: subjects name the lead, fall back, and stay on one short line", "[summary_templates]") {
  lead_view lead;
  lead.outcome = "CALLBACK";
  lead.email = "bo@example.com";
  CHECK(render_summary_email(email_view(lead)).subject == "New lead: bo@example.com (CALLBACK) — Brightleaf Gardens");
  lead.email.clear();
  CHECK(render_summary_email(email_view(lead)).subject == "New lead: a visitor (CALLBACK) — Brightleaf Gardens");
  lead.outcome = "SUPPORT";
  lead.company = "Acme";
  CHECK(render_summary_email(email_view(lead)).subject == "Conversation summary: SUPPORT (Acme) — Brightleaf Gardens");
  lead.name = std::string(100, 'x') + "é";
  auto subject = render_summary_email(email_view(lead)).subject;
  CHECK(subject.size() < 120);
  CHECK(has(subject, "…)"));

  auto e = render_summary_email(email_view(hostile_lead()));
  CHECK_FALSE(has(e.subject, "\r"));
  CHECK_FALSE(has(e.subject, "\n"));
  CHECK(e.subject.starts_with("Conversation summary: Ana <script>"));  // a subject is text, not HTML
  summary_email_view v = email_view(full_lead());
  v.brand.business_name = "Acme\r\nBcc: victim@example.com";
  CHECK(render_summary_email(v).subject == "New lead: Ana Lima (LEAD) — Acme  Bcc: victim@example.com");
}

TEST_CASE("summary templates: hostile values are escaped in the email's HTML and stay on their line in its text", "[summary_templates]") {
  summary_email_view v = email_view(hostile_lead());
  v.agent_name = hostile;
  v.started_at = v.last_message_at = v.link_expires = hostile;
  v.transcript_url = "https://brightleaf.example/t/\"><script>";  // a link, escaped inside its href
  auto e = render_summary_email(v);
  check_html_safe(e.html);
  CHECK_FALSE(has(e.html, "mailto:"));  // the hostile "email" is no address
  CHECK_FALSE(has(e.text, "\nBcc:"));
  CHECK_FALSE(has(e.text, "\nEmail: evil"));
  CHECK_FALSE(has(e.text, "\r"));
  CHECK(line_of(e.text, "Name: ") == "Name: " + std::string(hostile_one_line));
  CHECK(line_of(e.text, "  > ") == "  > " + std::string(hostile_one_line));
  CHECK(count(e.text, "  - " + std::string(hostile_one_line) + "\n") == 2);  // needs and interests
  CHECK(count(e.text, "Bcc: victim@example.com") == count(e.text, hostile_one_line));
}

TEST_CASE("summary templates: the transcript page is noindex, script-free, and shows the messages as text", "[summary_templates]") {
  auto page = render_transcript_page(page_view(full_lead()));
  CHECK(has(page, "<meta name=\"robots\" content=\"noindex, nofollow\">"));
  CHECK(has(page, "<meta name=\"referrer\" content=\"no-referrer\">"));
  // The CSP allows 'self' styles and no inline style: no script at all, no style attribute.
  CHECK_FALSE(has(page, "<script"));
  CHECK_FALSE(has(page, "style="));
  CHECK_FALSE(has(page, "<style"));
  CHECK_FALSE(has(page, "http://"));
  CHECK_FALSE(has(page, "https://"));
  CHECK(has(page, "<link rel=\"stylesheet\" href=\"/assets/page.css\">"));
  // Messages: labelled, in order, line breaks kept as text (.msg is white-space: pre-wrap).
  CHECK(has(page, "<div class=\"msg user\"><div class=\"label\">Visitor · 10:02</div><div class=\"text\">Hi!\nI need 40 olive trees.</div></div>"));
  CHECK(has(page, "<div class=\"msg assistant\"><div class=\"label\">Assistant · 10:03</div>"));
  CHECK(page.find("Visitor · 10:02") < page.find("Assistant · 10:03"));
  CHECK(has(page, "<a href=\"mailto:ana.lima@example.com\">"));
  CHECK(has(page, "<span class=\"verified\">verified</span>"));
  CHECK(has(page, "21 Dec 2026"));
  CHECK(salient::test::html_safety_problem(as_fragment(page)).empty());

  transcript_page_view v = page_view(lead_view{});
  v.lines = {{"system", "You are a sales assistant", ""}, {"user", "hello", ""}};
  v.expires.clear();
  page = render_transcript_page(v);
  CHECK_FALSE(has(page, "You are a"));  // a system line is not the conversation
  CHECK(has(page, "<div class=\"label\">Visitor</div><div class=\"text\">hello</div>"));
  CHECK_FALSE(has(page, "mailto:"));
  CHECK_FALSE(has(page, "<dl"));
  CHECK_FALSE(has(page, "stops working"));
  v.lines.clear();
  CHECK(has(render_transcript_page(v), "no messages"));
}

TEST_CASE("summary templates: hostile values and messages are escaped on the transcript page", "[summary_templates]") {
  transcript_page_view v = page_view(hostile_lead());
  v.brand.business_name = v.agent_name = v.expires = hostile;
  v.lines = {{"user", hostile, hostile}, {"assistant", hostile, ""}};
  auto page = render_transcript_page(v);
  check_html_safe(page);
  CHECK(has(page, "<title>Conversation · Ana &lt;script&gt;"));
  CHECK_FALSE(has(page, "mailto:"));
}

TEST_CASE("summary templates: the gone page says expired or deleted, noindex", "[summary_templates]") {
  auto expired = render_transcript_gone_page(brand(), true);
  auto deleted = render_transcript_gone_page(brand(), false);
  CHECK(has(expired, "<h1>This link has expired</h1>"));
  CHECK(has(deleted, "<h1>This conversation was deleted</h1>"));
  for (const std::string& page : {expired, deleted}) {
    CHECK(has(page, "<meta name=\"robots\" content=\"noindex, nofollow\">"));
    CHECK(has(page, "Brightleaf Gardens"));
    CHECK_FALSE(has(page, "<script"));
    CHECK_FALSE(has(page, "style="));
    CHECK(salient::test::html_safety_problem(as_fragment(page)).empty());
  }
  email_brand b = brand();
  b.business_name = hostile;
  auto page = render_transcript_gone_page(b, true);
  CHECK_FALSE(has(page, "<script>alert"));
  CHECK(has(page, "&lt;script&gt;"));
}
