#pragma once
// The handoff's emails (a visitor asked for a person; the team answers by replying), rendered
// from Mustache templates like the summary email (salient/render/summary_templates.h), whose lead
// card they share:
//   render_handoff_email          → the team: who asked, the lead card, the summary so far, the
//                                   transcript, and how to answer by replying
//   render_handoff_forward_email  → the team, in the same thread: the visitor's new lines
//   render_handoff_bounce_email   → one team member: why their reply was not shown (or was, without
//                                   its attachments)
//   render_handoff_notify_email   → the visitor, at a verified address: the team replied
//
// The render layer knows nothing of the flows: the caller formats times as display text and
// threads the emails (In-Reply-To, References, Reply-To). Every value is escaped for where it
// lands: HTML-escaped in HTML, kept on one line in the text part and the subject, so that no
// visitor line can pose as another speaker's line in the transcript or as a header.
#include <string>
#include <vector>

#include "salient/render/summary_templates.h"
#include "salient/render/templates.h"

namespace salient {

/// One message of the conversation as the handoff emails show it.
struct handoff_line_view {
  std::string role;  ///< "user" (Visitor) | "assistant" (the agent's name) | "team"; others are skipped
  std::string name;  ///< role "team": the team member's name from the config
  std::string text;  ///< plain text; a very long line is cut
  std::string at;    ///< display text, may be empty
};

/// At most this many of the latest lines are in the team's email; the rest are counted, and the
/// transcript link (when given) shows them all.
inline constexpr std::size_t handoff_email_lines = 30;

struct handoff_email_view {
  email_brand brand;       ///< privacy_url is not shown: this email goes to the team
  std::string agent_name;  ///< the assistant the visitor talked to
  lead_view lead;          ///< the card; lead.summary (+ lead.method) is "the summary so far"
  std::vector<handoff_line_view> lines;  ///< oldest first
  std::string response_time;  ///< what the visitor was told to expect ("within a few hours"); may be empty
  std::string expires;        ///< display text: replies are accepted until then
  /// The names replies appear under: one name → "as <name>"; otherwise the reader is told it is
  /// their own name on the team list.
  std::vector<std::string> team_names;
  std::string transcript_url;  ///< the signed transcript link; a link only when absolute http(s)
  std::string link_expires;    ///< display text
  std::string trigger;         ///< "button" | "intent" (anything else: no line about it)
};

/// "Ana Lima asked for a person — Brightleaf Gardens" ("A visitor" without a name; a long name
/// cut at 60 bytes; on one line). The forward emails' subjects start with "Re: " and this.
std::string handoff_subject(const email_brand& brand, const std::string& visitor_name);

/// The team's email. Subject: handoff_subject(view.brand, view.lead.name).
rendered_email render_handoff_email(const handoff_email_view& view);

struct handoff_forward_view {
  email_brand brand;
  std::string original_subject;  ///< the team email's subject; the forward's is "Re: " + it
  std::string visitor_name;      ///< may be empty ("The visitor")
  std::vector<handoff_line_view> lines;  ///< the visitor's new lines, oldest first (role is not read)
  std::string expires;                   ///< display text: replies are accepted until then
  std::string transcript_url;
};

/// The visitor's lines written since the last email, batched, for the thread.
rendered_email render_handoff_forward_email(const handoff_forward_view& view);

enum class bounce_reason {
  expired,              ///< the handoff is closed or past its reply days: nothing was stored
  unknown,              ///< no handoff has that reply address (or its data was deleted)
  attachments_dropped,  ///< stored and shown, but without its attachments
  empty,                ///< no text was left once the quoted email was taken off
};

struct handoff_bounce_view {
  email_brand brand;
  bounce_reason reason = bounce_reason::unknown;
  std::string member_name;       ///< the team member's name from the config; may be empty
  std::string original_subject;  ///< the subject of their reply; the bounce's is "Re: " + it
};

/// A short note to a team member (never to an address off the team list: a bounce to a forged
/// sender would be backscatter).
rendered_email render_handoff_bounce_email(const handoff_bounce_view& view);

struct handoff_notify_view {
  email_brand brand;  ///< privacy_url is shown: this email goes to the visitor
  std::vector<handoff_line_view> replies;  ///< the team's unseen replies, oldest first (role is not read)
  std::string chat_url;  ///< where the chat continues; a link only when absolute http(s)
};

/// To the visitor: "Ana Lima from Brightleaf Gardens replied" (two names: "Ana and Bo from …";
/// none or more: "The Brightleaf Gardens team replied"), the replies, the way back to the chat.
rendered_email render_handoff_notify_email(const handoff_notify_view& view);

}  // namespace salient
