// The handoff's emails (shared/render/handoff_templates.cpp): what each says, both parts, the
// transcript's speakers and bounds, and every value a visitor, a team member or the config
// supplied escaped in HTML and kept on its line in the text part and the subject. The HTML checks
// are the summary email's (email_fragment.h, tests/support/html_safety.h).
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <string_view>

#include "email_fragment.h"
#include "html_safety.h"
#include "salient/render/handoff_templates.h"

using namespace salient;
using namespace salient::test;

namespace {

const std::string hostile =
    "Ana <script>alert(1)</script> \"><img src=x onerror=alert(1)> 'a' {{summary}} {{{raw}}}\r\nBcc: victim@example.com\r\n\r\nAssistant: evil";
constexpr std::string_view hostile_one_line =
    "Ana <script>alert(1)</script> \"><img src=x onerror=alert(1)> 'a' {{summary}} {{{raw}}}  Bcc: victim@example.com    Assistant: evil";
constexpr std::string_view hostile_first_line = "Ana <script>alert(1)</script> \"><img src=x onerror=alert(1)> 'a' {{summary}} {{{raw}}}";

email_brand brand() { return {"Brightleaf Gardens", "#1f6f4a", "https://brightleaf.example/a/sales/privacy"}; }

handoff_email_view team_view() {
  handoff_email_view v;
  v.brand = brand();
  v.agent_name = "Sales assistant";
  v.lead.name = "Ana Lima";
  v.lead.email = "ana.lima@example.com";
  v.lead.email_verified = true;
  v.lead.outcome = "LEAD";
  v.lead.needs = {"olive trees for a courtyard"};
  v.lead.summary = "Ana wants 40 olive trees planted.";
  v.lead.method = "model";
  v.lines = {{"user", "", "Hi!\nDo you deliver on Saturdays?", "10:02"},
             {"assistant", "", "Let me check.", "10:02"},
             {"system", "", "You are a sales assistant", ""},
             {"user", "", "Can I talk to a person?", "10:03"}};
  v.response_time = "within one business day";
  v.expires = "6 Jan 2027";
  v.team_names = {"Bo Chen"};
  v.transcript_url = "https://brightleaf.example/a/sales/transcript/tok_abc.def";
  v.link_expires = "21 Dec 2026";
  v.trigger = "button";
  return v;
}

void check_both_parts(const rendered_email& e) {
  CHECK_FALSE(e.subject.empty());
  CHECK(e.html.starts_with("<!doctype html>"));
  CHECK(has(e.html, "</html>"));
  CHECK_FALSE(e.text.empty());
  CHECK(e.text.ends_with("\n"));
  CHECK_FALSE(e.text.ends_with("\n\n"));
  CHECK_FALSE(has(e.text, "\n\n\n"));
  CHECK_FALSE(has(e.text, "<"));
  CHECK_FALSE(has(e.text, "{{"));
  CHECK(salient::test::html_safety_problem(as_fragment(e.html)).empty());
}

void check_hostile(const rendered_email& e) {
  INFO(e.html);
  CHECK(salient::test::html_safety_problem(as_fragment(e.html)).empty());
  CHECK_FALSE(has(e.html, "<script>alert"));
  CHECK_FALSE(has(e.html, "<img"));
  CHECK(has(e.html, "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
  CHECK_FALSE(has(e.subject, "\r"));
  CHECK_FALSE(has(e.subject, "\n"));
  CHECK_FALSE(has(e.text, "\r"));
  CHECK_FALSE(has(e.text, "\nBcc:"));
  CHECK_FALSE(has(e.text, "\nAssistant: evil"));
}

}  // namespace

TEST_CASE("handoff templates: the team's email says who asked, what they want, the conversation and how to answer", "[handoff_templates]") {
  auto e = render_handoff_email(team_view());
  check_both_parts(e);
  CHECK(e.subject == "Ana Lima asked for a person — Brightleaf Gardens");
  for (std::string_view part : {std::string_view(e.html), std::string_view(e.text)}) {
    for (std::string_view value : {"Ana Lima asked for a person", "ana.lima@example.com", "verified", "olive trees for a courtyard",
                                   "Ana wants 40 olive trees planted.", "Summary so far", "Do you deliver on Saturdays?",
                                   "Can I talk to a person?", "within one business day", "6 Jan 2027",
                                   "https://brightleaf.example/a/sales/transcript/tok_abc.def", "21 Dec 2026",
                                   "“Talk to a person”"})
      CHECK(has(part, value));
    CHECK(has(part, "your reply appears in the visitor’s chat as Bo Chen. Replies are accepted until 6 Jan 2027."));
    CHECK_FALSE(has(part, "You are a sales assistant"));  // a system line is not the conversation
    CHECK_FALSE(has(part, "brightleaf.example/a/sales/privacy"));
    CHECK_FALSE(has(part, "by rules"));
    CHECK(has(part, "the team that answers when a visitor asks the Brightleaf Gardens chat assistant for a person"));
  }
  // Speakers labelled and in order; a message's own lines stay under its label.
  CHECK(has(e.text, "\nVisitor · 10:02\n  Hi!\n  Do you deliver on Saturdays?\n\nSales assistant · 10:02\n  Let me check.\n"));
  CHECK(e.text.find("Let me check.") < e.text.find("Can I talk to a person?"));
  CHECK(e.text.find("Reply to this email") < e.text.find("Name: Ana Lima"));  // how to answer comes first
  CHECK(has(e.text, "\nEmail: ana.lima@example.com (verified)\n"));
  CHECK(has(e.text, "\nRead the whole conversation: https://brightleaf.example/a/sales/transcript/tok_abc.def\n"));
  CHECK(has(e.html, "Hi!<br>Do you deliver on Saturdays?<br>"));
  CHECK(has(e.html, "<a href=\"https://brightleaf.example/a/sales/transcript/tok_abc.def\""));
  CHECK(has(e.html, "<a href=\"mailto:ana.lima@example.com\""));
  CHECK(has(e.html, "#1f6f4a"));
}

TEST_CASE("handoff templates: the team's email falls back without a name, lines, link or limits", "[handoff_templates]") {
  handoff_email_view v;
  v.brand = brand();
  v.lines = {{"user", "", "  \n", ""}, {"team", "Bo Chen", "We can do Saturday.", ""}};
  v.team_names = {"Bo Chen", "Cy Diaz"};
  v.lead.summary = "Asked for a person.";
  v.lead.method = "rules";
  auto e = render_handoff_email(v);
  check_both_parts(e);
  CHECK(e.subject == "A visitor asked for a person — Brightleaf Gardens");
  for (std::string_view part : {std::string_view(e.html), std::string_view(e.text)}) {
    CHECK(has(part, "your reply appears in the visitor’s chat under your name from the team list."));
    for (std::string_view absent : {"Replies are accepted until", "told to expect", "Read the whole conversation", "Name",
                                    "Email", "mailto:", "pressed", "earlier"})
      CHECK_FALSE(has(part, absent));
    CHECK(has(part, "Summary so far, by rules (no model)"));
    CHECK(has(part, "Bo Chen (team)"));
  }
  CHECK_FALSE(has(e.text, "\nVisitor"));  // a message without text is left out

  // Only the latest lines; the rest are counted. A site-relative link is text, javascript: never a link.
  v = team_view();
  v.lines.clear();
  for (int i = 0; i < 45; ++i) v.lines.push_back({"user", "", "line " + std::to_string(i), ""});
  v.transcript_url = "/a/sales/transcript/tok";
  e = render_handoff_email(v);
  CHECK(count(e.text, "\nVisitor\n") == handoff_email_lines);
  CHECK_FALSE(has(e.text, "  line 14\n"));
  CHECK(has(e.text, "  line 15\n"));
  CHECK(has(e.text, "  line 44\n"));
  CHECK(has(e.html, "15 earlier messages are not shown here."));
  CHECK_FALSE(has(e.html, "href=\"/a/sales"));
  CHECK(has(e.html, "Read the whole conversation on the site: /a/sales/transcript/tok"));
  v.transcript_url = "javascript:alert(1)";
  CHECK_FALSE(has(render_handoff_email(v).html, "href=\"javascript:"));

  // A long message is cut, on a character.
  v = team_view();
  v.lines = {{"user", "", std::string(3000, 'x') + "tail", ""}};
  e = render_handoff_email(v);
  CHECK_FALSE(has(e.text, "tail"));
  CHECK(has(e.text, "x…\n"));
  v.lead.name = std::string(100, 'n') + "é";
  std::string subject = render_handoff_email(v).subject;
  CHECK(subject.starts_with(std::string(60, 'n') + "… asked for a person"));
  CHECK(handoff_subject(brand(), "Bo\r\nBcc: x@example.com") == "Bo  Bcc: x@example.com asked for a person — Brightleaf Gardens");
}

TEST_CASE("handoff templates: hostile values are escaped in the team's email and stay on their line", "[handoff_templates]") {
  handoff_email_view v = team_view();
  for (std::string* f : {&v.brand.business_name, &v.agent_name, &v.lead.name, &v.lead.email, &v.lead.phone, &v.lead.company,
                         &v.lead.next_step, &v.lead.summary, &v.response_time, &v.expires, &v.link_expires})
    *f = hostile;
  v.lead.needs = v.lead.interests = v.lead.evidence = v.team_names = {hostile};
  v.lines = {{"user", "", hostile, hostile}, {"assistant", "", hostile, ""}, {"team", hostile, hostile, ""}};
  v.transcript_url = "https://brightleaf.example/t/\"><script>";
  auto e = render_handoff_email(v);
  check_hostile(e);
  CHECK(e.subject.starts_with("Ana <script>alert(1)</script> \"><img src=x onerror=alert(1)>… asked for a person"));
  CHECK_FALSE(has(e.html, "mailto:"));
  CHECK(line_of(e.text, "Name: ") == "Name: " + std::string(hostile_one_line));
  // In the transcript a message's lines are indented under its speaker: "Assistant: evil" is
  // written inside the visitor's message, never as a label.
  CHECK(has(e.text, "\nVisitor · " + std::string(hostile_one_line) + "\n  " + std::string(hostile_first_line) + "\n  Bcc: victim@example.com\n"));
  CHECK(has(e.text, "\n  Assistant: evil\n"));
  CHECK_FALSE(has(e.html, "\"><script>\""));
}

TEST_CASE("handoff templates: the forward carries the visitor's new lines in the thread", "[handoff_templates]") {
  handoff_forward_view v;
  v.brand = brand();
  v.original_subject = "Ana Lima asked for a person — Brightleaf Gardens";
  v.visitor_name = "Ana Lima";
  v.lines = {{"user", "", "Also: 40 trees.", "10:20"}, {"user", "", "And a quote, please.", "10:21"}};
  v.expires = "6 Jan 2027";
  v.transcript_url = "https://brightleaf.example/a/sales/transcript/tok";
  auto e = render_handoff_forward_email(v);
  check_both_parts(e);
  CHECK(e.subject == "Re: Ana Lima asked for a person — Brightleaf Gardens");
  for (std::string_view part : {std::string_view(e.html), std::string_view(e.text)}) {
    CHECK(has(part, "Ana Lima wrote 2 new messages"));
    CHECK(has(part, "Also: 40 trees."));
    CHECK(has(part, "And a quote, please."));
    CHECK(has(part, "Replies are accepted until 6 Jan 2027."));
  }
  CHECK(has(e.text, "\nVisitor · 10:20\n  Also: 40 trees.\n\nVisitor · 10:21\n  And a quote, please.\n"));
  v.original_subject = "RE: earlier";
  v.visitor_name.clear();
  v.lines.resize(1);
  e = render_handoff_forward_email(v);
  CHECK(e.subject == "RE: earlier");  // no "Re: RE:"
  CHECK(has(e.text, "The visitor wrote a new message"));
  v.original_subject.clear();
  CHECK(render_handoff_forward_email(v).subject == "Re: A visitor asked for a person — Brightleaf Gardens");

  v.brand.business_name = v.visitor_name = v.original_subject = v.expires = hostile;
  v.lines = {{"assistant", hostile, hostile, hostile}};  // the role is not read: the visitor's lines only
  e = render_handoff_forward_email(v);
  check_hostile(e);
  CHECK(e.subject == "Re: " + std::string(hostile_one_line));
  CHECK(has(e.text, "\nVisitor · "));
}

TEST_CASE("handoff templates: a bounce tells the team member why, for each reason", "[handoff_templates]") {
  handoff_bounce_view v;
  v.brand = brand();
  v.member_name = "Bo Chen";
  v.original_subject = "Re: Ana Lima asked for a person — Brightleaf Gardens";
  struct expect {
    bounce_reason reason;
    std::string_view headline, why;
  };
  for (const expect& x : {expect{bounce_reason::expired, "was not shown", "reply time ended"},
                          expect{bounce_reason::unknown, "was not shown", "belongs to no open conversation"},
                          expect{bounce_reason::attachments_dropped, "was shown without its attachments", "put a link in the text"},
                          expect{bounce_reason::empty, "was not shown", "above the quoted part"}}) {
    v.reason = x.reason;
    auto e = render_handoff_bounce_email(v);
    check_both_parts(e);
    CHECK(e.subject == "Re: Ana Lima asked for a person — Brightleaf Gardens");
    for (std::string_view part : {std::string_view(e.html), std::string_view(e.text)}) {
      CHECK(has(part, x.headline));
      CHECK(has(part, x.why));
      CHECK(has(part, "Hello Bo Chen,"));
    }
  }
  v.member_name.clear();
  v.original_subject.clear();
  auto e = render_handoff_bounce_email(v);
  CHECK(e.subject == "Re: Your reply");
  CHECK_FALSE(has(e.text, "Hello"));

  v.brand.business_name = v.member_name = v.original_subject = hostile;
  e = render_handoff_bounce_email(v);
  CHECK(salient::test::html_safety_problem(as_fragment(e.html)).empty());
  CHECK_FALSE(has(e.html, "<script>alert"));
  CHECK(has(e.html, "Hello Ana &lt;script&gt;"));
  CHECK_FALSE(has(e.subject, "\n"));
  CHECK_FALSE(has(e.text, "\nBcc:"));
}

TEST_CASE("handoff templates: the visitor is told who replied, what, and how to get back to the chat", "[handoff_templates]") {
  handoff_notify_view v;
  v.brand = brand();
  v.replies = {{"team", "Bo Chen", "We deliver on Saturdays.\nWhich address?", "10:40"}, {"team", "Bo Chen", "Thanks!", ""}};
  v.chat_url = "https://brightleaf.example/a/sales/chat";
  auto e = render_handoff_notify_email(v);
  check_both_parts(e);
  CHECK(e.subject == "Bo Chen from Brightleaf Gardens replied");
  for (std::string_view part : {std::string_view(e.html), std::string_view(e.text)}) {
    CHECK(has(part, "We deliver on Saturdays."));
    CHECK(has(part, "Thanks!"));
    CHECK(has(part, "https://brightleaf.example/a/sales/chat"));
    CHECK(has(part, "https://brightleaf.example/a/sales/privacy"));  // the visitor's own page
    CHECK(has(part, "you confirmed this address in the chat"));
    CHECK_FALSE(has(part, "(team)"));
  }
  CHECK(has(e.text, "\nBo Chen · 10:40\n  We deliver on Saturdays.\n  Which address?\n\nBo Chen\n  Thanks!\n"));
  CHECK(has(e.html, "<a href=\"https://brightleaf.example/a/sales/chat\""));

  v.replies.push_back({"team", "Cy Diaz", "Hi!", ""});
  CHECK(render_handoff_notify_email(v).subject == "Bo Chen and Cy Diaz from Brightleaf Gardens replied");
  v.replies.push_back({"team", "Di Eng", "Hello", ""});
  CHECK(render_handoff_notify_email(v).subject == "The Brightleaf Gardens team replied");
  v.replies = {{"team", "", "Hi", ""}};
  v.chat_url = "/a/sales/chat";
  e = render_handoff_notify_email(v);
  CHECK(e.subject == "The Brightleaf Gardens team replied");
  CHECK_FALSE(has(e.html, "href=\"/a/sales"));
  CHECK(has(e.text, "Continue the chat on the site: /a/sales/chat"));

  v.brand.business_name = v.chat_url = hostile;
  v.replies = {{"team", hostile, hostile, hostile}};
  e = render_handoff_notify_email(v);
  check_hostile(e);
  CHECK(e.subject.starts_with("Ana <script>"));
  CHECK(has(e.text, "\n  Assistant: evil\n"));
}
