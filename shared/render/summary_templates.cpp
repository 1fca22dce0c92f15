// The sales handoff's email and pages (salient/render/summary_templates.h): the views in,
// kainjow/mustache over templates/summary_email.*, transcript_page and transcript_gone, strings
// out. Escaping and the email frame are the render layer's (render/template_engine.h).
//
// The lead card's variables are built once (render/lead_card_vars.h, shared with the handoff's
// emails) for both the email and the page.
#include "salient/render/summary_templates.h"

#include <string>
#include <string_view>

#include "render/lead_card_vars.h"
#include "render/template_engine.h"

namespace salient {

using namespace detail;

namespace {

bool is_lead_outcome(std::string_view outcome) { return outcome == "LEAD" || outcome == "CALLBACK"; }

std::string subject_of(const summary_email_view& view) {
  const lead_view& lead = view.lead;
  // Built from one_line() parts only: no CR or LF from a visitor or the config reaches the header.
  std::string outcome = cut(trimmed(one_line(lead.outcome)), 20);
  std::string who;
  for (const std::string* candidate : {&lead.name, &lead.company, &lead.email}) {
    who = cut(trimmed(one_line(*candidate)), 60);
    if (!who.empty()) break;
  }
  std::string subject;
  if (is_lead_outcome(outcome)) {
    subject = "New lead: " + (who.empty() ? std::string("a visitor") : who) + " (" + outcome + ")";
  } else {
    subject = "Conversation summary";
    if (!outcome.empty()) subject += ": " + outcome;
    if (!who.empty()) subject += " (" + who + ")";
  }
  std::string business = trimmed(one_line(view.brand.business_name));
  if (!business.empty()) subject += " — " + business;
  return subject;
}

/// "12 messages with Sales assistant, from 2026-12-07 10:02 UTC to 2026-12-07 10:15 UTC.", or
/// empty when the view says nothing of the conversation.
std::string conversation_line(const summary_email_view& view) {
  if (view.message_count <= 0 && view.agent_name.empty() && view.started_at.empty() && view.last_message_at.empty())
    return {};
  std::string line = view.message_count > 0 ? count_of(view.message_count, "message", "messages") : "A conversation";
  if (!view.agent_name.empty()) line += " with " + view.agent_name;
  if (!view.started_at.empty() && !view.last_message_at.empty())
    line += ", from " + view.started_at + " to " + view.last_message_at;
  else if (!view.started_at.empty())
    line += ", started " + view.started_at;
  else if (!view.last_message_at.empty())
    line += ", last message " + view.last_message_at;
  return line + ".";
}

std::string trigger_line(std::string_view trigger) {
  if (trigger == "button") return "Sent when the visitor pressed “Email summary”.";
  if (trigger == "sweep") return "Sent after the conversation went quiet.";
  return {};
}

mstch::data page_vars(const email_brand& brand) {
  mstch::data vars;
  vars.set("business_name", brand.business_name);
  return vars;
}

}  // namespace

rendered_email render_summary_email(const summary_email_view& view) {
  std::string subject = subject_of(view);
  mstch::data vars = email_vars(view.brand, email_kind::lead_summary, subject);
  // The privacy page is the visitor's; the sales team has no use for its link.
  vars.set("has_privacy_link", false);
  set_lead_vars(vars, view.lead);

  bool link = email_link_ok(view.transcript_url);
  vars.set("has_transcript", !view.transcript_url.empty());
  vars.set("has_transcript_link", link);
  vars.set("has_transcript_text", !link && !view.transcript_url.empty());
  vars.set("transcript_url", view.transcript_url);
  vars.set("has_link_expires", !view.link_expires.empty());
  vars.set("link_expires", view.link_expires);
  std::string conversation = conversation_line(view), trigger = trigger_line(view.trigger);
  vars.set("has_conversation_line", !conversation.empty());
  vars.set("conversation_line", conversation);
  vars.set("has_trigger_line", !trigger.empty());
  vars.set("trigger_line", trigger);
  rendered_email out = render_email("summary_email", std::move(subject), std::move(vars));
  squeeze_blank_lines(out.text);
  return out;
}

std::string render_transcript_page(const transcript_page_view& view) {
  mstch::data vars = page_vars(view.brand);
  vars.set("has_agent_name", !view.agent_name.empty());
  vars.set("agent_name", view.agent_name);
  set_lead_vars(vars, view.lead);
  mstch::list lines;
  for (const transcript_line_view& line : view.lines) {
    bool user = line.role == "user";
    if (!user && line.role != "assistant") continue;  // system or tool lines are not the conversation
    std::string label = user ? "Visitor" : "Assistant";
    if (!line.at.empty()) label += " · " + line.at;
    lines.push_back(mstch::object{{"role_class", std::string(user ? "user" : "assistant")},
                                  {"label", label},
                                  {"text", line.text}});
  }
  vars.set("has_lines", !lines.empty());
  vars.set("lines", lines);
  vars.set("has_expires", !view.expires.empty());
  vars.set("expires", view.expires);
  return render_template("transcript_page.html.mustache", vars, escaping::html);
}

std::string render_transcript_gone_page(const email_brand& brand, bool expired) {
  mstch::data vars = page_vars(brand);
  vars.set("expired", expired);
  vars.set("title", std::string(expired ? "This link has expired" : "This conversation was deleted"));
  return render_template("transcript_gone.html.mustache", vars, escaping::html);
}

}  // namespace salient
