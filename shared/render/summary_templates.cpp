// The sales handoff's email and pages (salient/render/summary_templates.h): the views in,
// kainjow/mustache over templates/summary_email.*, transcript_page and transcript_gone, strings
// out. Escaping and the email frame are the render layer's (render/template_engine.h).
//
// The lead card's variables are built once (lead_vars) for both the email and the page. Every
// list item sets every key its template section reads: the engine looks a missing key up in the
// enclosing context, so an item without "mailto" would otherwise find another one.
#include "salient/render/summary_templates.h"

#include <string>
#include <string_view>

#include "render/template_engine.h"

namespace salient {

using namespace detail;

namespace {

bool is_lead_outcome(std::string_view outcome) { return outcome == "LEAD" || outcome == "CALLBACK"; }

/// `text` without leading and trailing spaces.
std::string trimmed(std::string text) {
  std::size_t b = text.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  return text.substr(b, text.find_last_not_of(' ') - b + 1);
}

/// At most `max` bytes, cut before a UTF-8 sequence rather than inside it, "…" marking the cut.
std::string cut(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80) --n;
  text.resize(n);
  return trimmed(std::move(text)) + "…";
}

bool in_set(char c, std::string_view set) { return set.find(c) != std::string_view::npos; }
bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

/// Whether `email` may follow "mailto:" as it is. The caller validated the address; this is the
/// second, stricter check for the href: plain ASCII local@domain.tld only, so that nothing in it
/// (`?`, `&`, `%0A`, spaces) can add headers (`?bcc=`) or a body to the reply.
bool mailto_ok(std::string_view email) {
  std::size_t at = email.find('@');
  if (email.size() > 254 || at == 0 || at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos)
    return false;
  std::string_view local = email.substr(0, at), domain = email.substr(at + 1);
  for (char c : local)
    if (!is_alnum(c) && !in_set(c, "._+-")) return false;
  if (domain.empty() || domain.front() == '.' || domain.back() == '.' || domain.find('.') == std::string_view::npos ||
      domain.find("..") != std::string_view::npos)
    return false;
  for (char c : domain)
    if (!is_alnum(c) && !in_set(c, ".-")) return false;
  return true;
}

mstch::list item_list(const std::vector<std::string>& items, const char* key) {
  mstch::list out;
  for (const std::string& item : items)
    if (!item.empty()) out.push_back(mstch::object{{key, item}});
  return out;
}

std::string_view headline_of(std::string_view outcome) {
  if (outcome == "LEAD") return "New lead";
  if (outcome == "CALLBACK") return "New lead: a callback is asked for";
  if (outcome == "SUPPORT") return "Support request";
  if (outcome == "SPAM") return "Probably spam";
  return "Conversation summary";
}

/// The lead card: fields (present ones only), outcome, evidence, needs, interests, next step,
/// summary, into `vars`.
void set_lead_vars(mstch::data& vars, const lead_view& lead) {
  mstch::list fields;
  auto field = [&](std::string_view label, const std::string& value, bool is_email = false) {
    if (value.empty()) return;
    bool link = is_email && mailto_ok(value);
    fields.push_back(mstch::object{{"label", std::string(label)},
                                   {"value", value},
                                   {"has_mailto", link},
                                   {"mailto", link ? value : std::string()},
                                   {"verified", is_email && lead.email_verified}});
  };
  field("Name", lead.name);
  field("Email", lead.email, true);
  field("Phone", lead.phone);
  field("Company", lead.company);
  field("Address", lead.address);
  field("Preferred time", lead.preferred_time);
  field("Language", lead.language);
  vars.set("has_fields", !fields.empty());
  vars.set("fields", fields);

  vars.set("headline", std::string(headline_of(lead.outcome)));
  vars.set("has_outcome", !lead.outcome.empty());
  vars.set("outcome", lead.outcome);
  mstch::list evidence = item_list(lead.evidence, "line"), needs = item_list(lead.needs, "item"),
              interests = item_list(lead.interests, "item");
  vars.set("has_evidence", !evidence.empty());
  vars.set("evidence", evidence);
  vars.set("has_needs", !needs.empty());
  vars.set("needs", needs);
  vars.set("has_interests", !interests.empty());
  vars.set("interests", interests);
  vars.set("has_next_step", !lead.next_step.empty());
  vars.set("next_step", lead.next_step);
  vars.set("has_summary", !lead.summary.empty());
  vars.set("summary", lead.summary);
  // An extractive summary reads differently from a written one: the reader is told which it is.
  vars.set("summary_label", std::string(lead.method == "rules" ? "Summary by rules (no model)" : "Summary"));
}

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
  // The engine leaves a section's standalone lines behind as an empty line when the section is
  // false; the text part keeps one empty line between blocks, whichever blocks are present.
  for (std::size_t at = out.text.find("\n\n\n"); at != std::string::npos; at = out.text.find("\n\n\n", at))
    out.text.erase(at, 1);
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
