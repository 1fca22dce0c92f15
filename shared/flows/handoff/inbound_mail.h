#pragma once
// Mailgun's inbound post (POST /mail/inbound, a team member's reply to a handoff email), read
// and checked without I/O. Wire format: ../shared/UPSTREAM-APIS.md (Mailgun, inbound replies).
// Private to flows/handoff.
//
// Call order for one post: parse_inbound (400 when malformed: Mailgun retries a 400, but a body
// that does not parse will not parse later either, so the route may answer 406 instead), then
// verify_signature before anything else is trusted, then the store's token check (each token once),
// reply_id_of + the store lookup, address_of(from) against the team list, sender_authenticated,
// and finally reply_text_of for what is stored. Nothing here logs: the fields hold addresses
// and the reply's text.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "salient/core/entropy.h"
#include "salient/core/http.h"
#include "salient/core/result.h"

namespace salient::handoff {

/// The fields of one inbound post that the handoff reads. Every string is valid UTF-8 without
/// NUL and at most max_inbound_field_bytes long; absent fields are empty.
struct inbound_mail {
  std::string recipient;      ///< "recipient": the envelope RCPT TO (may list several, comma-separated)
  std::string sender;         ///< "sender": the envelope MAIL FROM (what SPF checked)
  std::string from;           ///< "from": the From header ("Ana <ana@x.example>")
  std::string subject;        ///< "subject"
  std::string stripped_text;  ///< "stripped-text": the reply without the quoted email
  bool has_stripped_text = false;  ///< the post carried stripped-text, even empty
  std::string body_plain;     ///< "body-plain": the whole text part
  std::string message_id;     ///< "Message-Id" (any case), else from message-headers
  std::string in_reply_to;    ///< "In-Reply-To", likewise
  std::string references;     ///< "References", likewise
  std::string timestamp, token, signature;  ///< Mailgun's signature fields (required)
  /// "message-headers": the message's headers in order, topmost (added last) first.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Mailgun's "attachment-count", or the file parts of a multipart post, whichever is larger.
  int attachment_count = 0;
};

/// No field the handoff reads is larger than this (a reply is cut to 4000 characters anyway).
inline constexpr std::size_t max_inbound_field_bytes = 1024 * 1024;

/// application/x-www-form-urlencoded or multipart/form-data (Mailgun sends the latter when the
/// message has attachments; the file parts are counted, never kept).
/// Errors: unsupported_media_type for another Content-Type; payload_too_large when the host cut
/// the body; bad_request naming the field when timestamp, token or signature is missing, when a
/// field that decides anything (the signature's three, recipient, sender, from, message-headers,
/// attachment-count) is repeated (two values could be read one way here and another elsewhere),
/// a field is over 1 MB, not UTF-8 or holds NUL, message-headers is not a JSON list of
/// [name, value] strings, or attachment-count is not a decimal under 10000; and the parsers' own
/// bad_request for a malformed body.
result<inbound_mail> parse_inbound(const request& req);

enum class signature_status { ok, bad_signature, stale };

/// Mailgun's signature: hex HMAC-SHA256 under the webhook signing key of `timestamp` followed by
/// `token`, compared in constant time. bad_signature for an empty key, a timestamp that is not
/// decimal, a signature that is not 64 hex digits, or a MAC that does not match; stale (only
/// for a matching MAC, so that nothing is told to a forger) when the timestamp is more than
/// `max_age_s` from `now_s` in either direction: a replay of an old post, or a clock far off.
signature_status verify_signature(std::string_view signing_key, const inbound_mail& m, std::int64_t now_s,
                                  int max_age_s = 300);

/// Whether the From address is vouched for: Mailgun's SPF verdict (the topmost X-Mailgun-Spf:
/// "Pass"; a sender can write a header of that name lower down) for the envelope sender, whose
/// domain is the From's (aligned, as DMARC asks). SPF checks only the envelope: without the
/// alignment, anyone with a domain of their own passes it while writing a team member's address
/// in From. A DKIM "Pass" (X-Mailgun-Dkim-Check-Result) names no domain, since any domain's
/// signature passes, and an Authentication-Results header may be the sender's own invention, so
/// neither counts. A reply forwarded through another server fails SPF and is refused as
/// unauthenticated; a team member replying from their own mailbox passes. It is one layer of
/// several: the reply must also carry Mailgun's signature, reach a reply address holding 128
/// random bits that only the team's email carried, and come from an address on the team list.
bool sender_authenticated(const inbound_mail& m);

/// The reply id of a handoff address: the first entry of `recipient` (a comma-separated list)
/// that reads reply+<id>@<mailgun_domain>, case-insensitively, with <id> 26 characters of
/// [a-z2-7] once lower-cased (mail systems may upper-case an address). The id, lower-case.
std::optional<std::string> reply_id_of(std::string_view recipient, std::string_view mailgun_domain);

/// The address of a From or sender value, "Ana <Ana@X.example>" (the name plain or quoted) or
/// bare, lower-cased, as normalize_email (core/email_address.h) accepts it. Empty when there is
/// none, and for a list of mailboxes: which one wrote the reply would be a guess.
std::string address_of(std::string_view from_or_sender);

/// At most this many characters (code points) of a reply are stored.
inline constexpr std::size_t max_reply_chars = 4000;

/// What is stored of the reply: stripped-text, or body-plain when the post has no stripped-text
/// field; CRLF and CR become LF, other control characters but tab are dropped, the ends trimmed;
/// cut at a code point to at most max_reply_chars, the last one "…" when cut. Empty when nothing
/// is left (answer with the "empty" bounce). A stripped-text that is present but blank is not
/// replaced by body-plain: the reply held only the quoted email (or a signature), and body-plain
/// would show the visitor the team's own email, summary and internal notes included.
std::string reply_text_of(const inbound_mail& m);

/// A new reply id: 16 random bytes (128 bits) in lower-case RFC 4648 base32 without padding,
/// 26 characters of [a-z2-7]; lower case so that it survives a mail system lower-casing the
/// address, and 26 + "reply+" stays far under the 64 bytes of a local part.
std::string new_reply_id(entropy& rng);

}  // namespace salient::handoff
