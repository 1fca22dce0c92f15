// The handoff's emails (salient/render/handoff_templates.h): the views in, kainjow/mustache over
// templates/handoff_{email,forward,bounce,notify}.*, rendered_email out. The lead card is the
// summary email's (render/lead_card_vars.h); escaping and the email frame are the render layer's.
//
// A message's text is split into its lines here, and the templates write each on a line of its
// own, indented under the speaker's label: one_line() then keeps every line where it is, so a
// visitor who types "Assistant: …" or a blank line and "Reply-To: …" only ever writes an
// indented line inside their own message.
#include "salient/render/handoff_templates.h"

#include <string>
#include <string_view>
#include <vector>

#include "render/lead_card_vars.h"
#include "render/template_engine.h"

namespace salient {

using namespace detail;

namespace {

/// A message is cut here: the email stays readable and its size bounded (30 lines × 2 kB).
constexpr std::size_t max_line_bytes = 2000;

/// The lines of `text` (LF, CRLF or CR), each as an item {line}, at most max_line_bytes in all;
/// leading and trailing blank lines dropped.
mstch::list text_lines(const std::string& text) {
  std::string body = cut(text, max_line_bytes);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find_first_of("\r\n", start);
    if (end == std::string::npos) end = body.size();
    lines.push_back(body.substr(start, end - start));
    if (end + 1 < body.size() && body[end] == '\r' && body[end + 1] == '\n') ++end;
    start = end + 1;
  }
  auto blank = [](const std::string& line) { return trimmed(one_line(line)).empty(); };
  std::size_t first = 0, last = lines.size();
  while (first < last && blank(lines[first])) ++first;
  while (last > first && blank(lines[last - 1])) --last;
  mstch::list out;
  for (std::size_t i = first; i < last; ++i) out.push_back(mstch::object{{"line", lines[i]}});
  return out;
}

/// The label of a message: who said it, and when when known.
std::string label_of(const handoff_line_view& line, const std::string& agent_name) {
  std::string who;
  if (line.role == "user") who = "Visitor";
  else if (line.role == "assistant") who = agent_name.empty() ? "Assistant" : agent_name;
  else if (line.role == "team") who = line.name.empty() ? "Team" : line.name + " (team)";
  else return {};
  if (!line.at.empty()) who += " · " + line.at;
  return who;
}

/// Items {label, lines} for lines[from…], skipping roles other than user, assistant and team
/// (a system prompt or a tool call is not the conversation) and messages without text.
mstch::list message_list(const std::vector<handoff_line_view>& lines, std::size_t from, const std::string& agent_name) {
  mstch::list out;
  for (std::size_t i = from; i < lines.size(); ++i) {
    std::string label = label_of(lines[i], agent_name);
    mstch::list text = text_lines(lines[i].text);
    if (label.empty() || text.empty()) continue;
    out.push_back(mstch::object{{"label", label}, {"lines", text}});
  }
  return out;
}

std::string one_line_trimmed(const std::string& text, std::size_t max) { return cut(trimmed(one_line(text)), max); }

/// "Re: <subject>", without piling up "Re: Re:" when the subject already starts with one.
std::string reply_subject(const std::string& original, const std::string& fallback) {
  std::string subject = one_line_trimmed(original, 200);
  if (subject.empty()) subject = fallback;
  if (subject.size() >= 3 && (subject[0] == 'R' || subject[0] == 'r') && (subject[1] == 'E' || subject[1] == 'e') &&
      subject[2] == ':')
    return subject;
  return "Re: " + subject;
}

/// "as Ana Lima" for one name, else the reader's own name on the team list.
std::string answer_as(const std::vector<std::string>& names) {
  std::vector<std::string> present;
  for (const std::string& n : names)
    if (!trimmed(one_line(n)).empty()) present.push_back(trimmed(one_line(n)));
  if (present.size() == 1) return "as " + present.front();
  return "under your name from the team list";
}

std::string trigger_line(std::string_view trigger) {
  if (trigger == "button") return "The visitor pressed “Talk to a person”.";
  if (trigger == "intent") return "The visitor asked in the chat to talk to a person.";
  return {};
}

void set_link(mstch::data& vars, const std::string& url) {
  bool link = email_link_ok(url);
  vars.set("has_transcript", !url.empty());
  vars.set("has_transcript_link", link);
  vars.set("has_transcript_text", !link && !url.empty());
  vars.set("transcript_url", url);
}

void set_text(mstch::data& vars, const char* key, const std::string& value) {
  vars.set(std::string("has_") + key, !value.empty());
  vars.set(key, value);
}

rendered_email finish(std::string_view stem, std::string subject, mstch::data vars) {
  rendered_email out = render_email(stem, std::move(subject), std::move(vars));
  squeeze_blank_lines(out.text);
  return out;
}

}  // namespace

std::string handoff_subject(const email_brand& brand, const std::string& visitor_name) {
  // Built from one_line() parts only: no CR or LF from a visitor or the config reaches the header.
  std::string who = one_line_trimmed(visitor_name, 60);
  std::string subject = (who.empty() ? std::string("A visitor") : who) + " asked for a person";
  std::string business = trimmed(one_line(brand.business_name));
  if (!business.empty()) subject += " — " + business;
  return subject;
}

rendered_email render_handoff_email(const handoff_email_view& view) {
  std::string subject = handoff_subject(view.brand, view.lead.name);
  mstch::data vars = email_vars(view.brand, email_kind::handoff_team, subject);
  vars.set("has_privacy_link", false);  // the visitor's page; the team has no use for its link
  set_lead_vars(vars, view.lead);
  std::string who = one_line_trimmed(view.lead.name, 60);
  vars.set("headline", (who.empty() ? std::string("A visitor") : who) + " asked for a person");
  vars.set("summary_label",
           std::string(view.lead.method == "rules" ? "Summary so far, by rules (no model)" : "Summary so far"));
  vars.set("answer_as", answer_as(view.team_names));
  set_text(vars, "expires", view.expires);
  set_text(vars, "response_time", view.response_time);
  set_text(vars, "trigger_line", trigger_line(view.trigger));

  std::size_t from = view.lines.size() > handoff_email_lines ? view.lines.size() - handoff_email_lines : 0;
  mstch::list messages = message_list(view.lines, from, view.agent_name);
  vars.set("has_messages", !messages.empty());
  vars.set("messages", messages);
  std::string earlier = from > 0 ? count_of(static_cast<long>(from), "earlier message is", "earlier messages are") +
                                       " not shown here."
                                 : std::string();
  set_text(vars, "earlier", earlier);
  set_link(vars, view.transcript_url);
  set_text(vars, "link_expires", view.link_expires);
  return finish("handoff_email", std::move(subject), std::move(vars));
}

rendered_email render_handoff_forward_email(const handoff_forward_view& view) {
  std::string subject = reply_subject(view.original_subject, handoff_subject(view.brand, view.visitor_name));
  mstch::data vars = email_vars(view.brand, email_kind::handoff_team, subject);
  vars.set("has_privacy_link", false);
  std::string who = one_line_trimmed(view.visitor_name, 60);
  std::vector<handoff_line_view> lines = view.lines;
  for (handoff_line_view& line : lines) line.role = "user";  // the visitor's lines only
  mstch::list messages = message_list(lines, 0, {});
  vars.set("headline", (who.empty() ? std::string("The visitor") : who) + " wrote " +
                           (messages.size() == 1 ? "a new message" : count_of(static_cast<long>(messages.size()), "new message", "new messages")));
  vars.set("has_messages", !messages.empty());
  vars.set("messages", messages);
  set_text(vars, "expires", view.expires);
  set_link(vars, view.transcript_url);
  return finish("handoff_forward", std::move(subject), std::move(vars));
}

rendered_email render_handoff_bounce_email(const handoff_bounce_view& view) {
  std::string subject = reply_subject(view.original_subject, "Your reply");
  mstch::data vars = email_vars(view.brand, email_kind::handoff_team, subject);
  vars.set("has_privacy_link", false);
  std::string headline, reason;
  switch (view.reason) {
    case bounce_reason::expired:
      headline = "Your reply was not shown to the visitor";
      reason = "This conversation no longer takes replies by email: its reply time ended, or it was closed.";
      break;
    case bounce_reason::unknown:
      headline = "Your reply was not shown to the visitor";
      reason = "The address you replied to belongs to no open conversation. It may have been mistyped, or the "
               "visitor's data was deleted.";
      break;
    case bounce_reason::attachments_dropped:
      headline = "Your reply was shown without its attachments";
      reason = "The visitor sees your text in the chat. Attachments are not passed on: put a link in the text instead.";
      break;
    case bounce_reason::empty:
      headline = "Your reply was not shown to the visitor";
      reason = "No text was left once the quoted email was taken off. Write your answer above the quoted part.";
      break;
  }
  vars.set("headline", headline);
  vars.set("reason", reason);
  set_text(vars, "member_name", one_line_trimmed(view.member_name, 60));
  return finish("handoff_bounce", std::move(subject), std::move(vars));
}

rendered_email render_handoff_notify_email(const handoff_notify_view& view) {
  // The names, in order of their first reply.
  std::vector<std::string> names;
  for (const handoff_line_view& r : view.replies) {
    std::string n = one_line_trimmed(r.name, 60);
    if (n.empty()) continue;
    bool seen = false;
    for (const std::string& m : names) seen = seen || m == n;
    if (!seen) names.push_back(n);
  }
  std::string business = trimmed(one_line(view.brand.business_name));
  std::string who;
  if (names.size() == 1) who = names[0] + (business.empty() ? "" : " from " + business);
  else if (names.size() == 2) who = names[0] + " and " + names[1] + (business.empty() ? "" : " from " + business);
  else who = business.empty() ? std::string("The team") : "The " + business + " team";
  std::string subject = who + " replied";
  mstch::data vars = email_vars(view.brand, email_kind::handoff_visitor, subject);
  vars.set("headline", subject);
  // The visitor reads the person's name as is; "(team)" is for the team's own transcript.
  mstch::list messages;
  for (const handoff_line_view& r : view.replies) {
    std::string label = one_line_trimmed(r.name, 60);
    if (label.empty()) label = "Team";
    if (!r.at.empty()) label += " · " + r.at;
    mstch::list text = text_lines(r.text);
    if (!text.empty()) messages.push_back(mstch::object{{"label", label}, {"lines", text}});
  }
  vars.set("has_messages", !messages.empty());
  vars.set("messages", messages);
  bool link = email_link_ok(view.chat_url);
  vars.set("has_chat_link", link);
  vars.set("has_chat_text", !link && !view.chat_url.empty());
  vars.set("chat_url", view.chat_url);
  return finish("handoff_notify", std::move(subject), std::move(vars));
}

}  // namespace salient
