#pragma once
// The sales handoff's email and pages, rendered from Mustache templates like the one-time-code
// ones (salient/render/templates.h): the conversation summary emailed to the sales team, the
// read-only transcript page its link opens, and the page a dead link answers with (410).
//
// The render layer knows nothing of the flows: the caller (flows/summary) copies its lead card
// into these views and formats the times as display text. Every value is escaped here for where
// it lands: HTML-escaped in HTML, kept on one line in the text part and the subject. What the
// caller must have checked already: lead.email is a valid address (it becomes a mailto: link only
// when it also passes this layer's own strict test), transcript_url is the signed link.
//
// The transcript page follows the pages' CSP (shared/http/respond.cpp: `style-src 'self'`, no
// inline script or style): it loads only /assets/basecoat.min.css and /assets/page.css, no
// script at all, and carries `<meta name="robots" content="noindex, nofollow">` (the response
// adds `X-Robots-Tag: noindex`) and `<meta name="referrer" content="no-referrer">`.
#include <string>
#include <vector>

#include "salient/render/templates.h"

namespace salient {

/// The lead card as the email and the transcript page show it. Empty strings and lists are left
/// out of both.
struct lead_view {
  std::string name, email, phone, company, address, preferred_time, language;
  std::string outcome;  ///< LEAD | CALLBACK | INFO_ONLY | SUPPORT | SPAM (shown as given)
  std::string next_step, summary;
  std::string method;                             ///< "model" | "rules" (labels the summary)
  std::vector<std::string> evidence;              ///< visitor lines, quoted under the outcome
  std::vector<std::string> needs, interests;
  bool email_verified = false;                    ///< shows a "verified" badge by the email
};

struct summary_email_view {
  email_brand brand;       ///< privacy_url is not shown: this email goes to the sales team
  std::string agent_name;  ///< the assistant the visitor talked to ("Sales assistant")
  lead_view lead;
  /// The signed transcript link. A link (and a button) only when absolute http(s); anything else
  /// is written as text, since a mail client cannot follow a site-relative link.
  std::string transcript_url;
  std::string link_expires;                   ///< display text, e.g. "21 Dec 2026"
  std::string started_at, last_message_at;   ///< display text, e.g. "2026-12-07 10:02 UTC"
  long message_count = 0;
  std::string trigger;  ///< "button" | "sweep" (anything else: no line about it)
};

/// The summary email. Subject, on one line:
///   LEAD/CALLBACK: "New lead: Ana Lima (LEAD) — Brightleaf Gardens"
///   otherwise:     "Conversation summary: INFO_ONLY (Ana Lima) — Brightleaf Gardens"
/// where the name falls back to the company, then the email, then "a visitor" (LEAD/CALLBACK) or
/// is left out; a long name is cut at 60 bytes.
rendered_email render_summary_email(const summary_email_view& view);

struct transcript_line_view {
  std::string role;  ///< "user" (shown as Visitor) | "assistant"; lines of other roles are skipped
  std::string text;  ///< shown as plain text, line breaks kept
  std::string at;    ///< display text, may be empty
};

struct transcript_page_view {
  email_brand brand;
  std::string agent_name;
  lead_view lead;
  std::vector<transcript_line_view> lines;  ///< oldest first
  std::string expires;                      ///< display text; empty: no line about it
};

/// GET /a/{agent}/transcript/{token}: the lead card, then the conversation.
std::string render_transcript_page(const transcript_page_view& view);

/// The 410 page of a transcript link: "This link has expired" (`expired`) or "This conversation
/// was deleted".
std::string render_transcript_gone_page(const email_brand& brand, bool expired);

}  // namespace salient
