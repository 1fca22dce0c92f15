#pragma once
// Mailgun, the email service: where it is (the endpoint, from the environment), the one send
// request (a multipart/form-data POST), and what its answers mean. Wire format:
// docs/UPSTREAMS.md (Mailgun).
//
// Call order: mailgun_endpoint_from_env once per instance; per email, mailgun_send_request with
// a fresh multipart_boundary (salient/core/multipart.h), the host performs it, then
// parse_mailgun_send on the answer (and retry_after_seconds when it was a 429), and
// provider_response_json for the record of what Mailgun said.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "salient/core/environment.h"
#include "salient/core/exchange.h"
#include "salient/core/http.h"
#include "salient/core/result.h"

namespace salient {

inline constexpr std::string_view default_mailgun_base_url = "https://api.mailgun.net";

struct mailgun_endpoint {
  std::string base_url;  ///< MAILGUN_BASE_URL without a trailing slash (EU: https://api.eu.mailgun.net)
  std::string domain;    ///< MAILGUN_DOMAIN, the sending domain
  std::string api_key;   ///< MAILGUN_API_KEY
  int timeout_ms = 10000;
};

/// Reads MAILGUN_BASE_URL (default https://api.mailgun.net; must be http(s); a trailing slash
/// is dropped), MAILGUN_DOMAIN and MAILGUN_API_KEY. misconfigured, naming the variable (never
/// its value), when the domain or the key is missing or the URL is not http(s).
result<mailgun_endpoint> mailgun_endpoint_from_env(const environment& env, int timeout_ms);

struct email_message {
  std::string from;      ///< "Name <addr>" or a bare address
  std::string to;
  std::string subject;
  std::string text;      ///< the plain-text part: always required
  std::string html;      ///< optional
  std::string reply_to;  ///< optional: sent as the h:Reply-To header
  std::string tag;       ///< optional: o:tag
  std::vector<std::pair<std::string, std::string>> variables;  ///< v:<name> = value, echoed in webhooks
  std::string in_reply_to;  ///< optional: "<id@domain>", sent as h:In-Reply-To and h:References (a thread)
};

/// POST {base}/v3/{domain}/messages with Basic auth ("api", key) and the message as
/// multipart/form-data fields from, to, subject, text, html (when set), h:Reply-To, o:tag (when
/// set), h:In-Reply-To + h:References (when in_reply_to is set) and v:<name>. bad_request, naming the field, for an empty from, to, subject or text, and
/// for CR, LF or NUL in from, to, subject, reply_to, tag, in_reply_to or a variable's name or value (they
/// become mail headers: no header injection), or a variable name that is empty or holds a quote;
/// misconfigured for an endpoint without a domain or key; internal when `boundary` occurs in
/// the message (draw another).
result<outbound_request> mailgun_send_request(const mailgun_endpoint& ep, const email_message& m,
                                              std::string_view boundary);

/// What Mailgun answered a send with.
struct mailgun_sent {
  std::string id;       ///< "<…@domain>": the Message-Id, which replies and webhooks refer to
  std::string message;  ///< "Queued. Thank you."
};

/// A 2xx with an id → the id. Otherwise an error with a generic message (Mailgun's own words
/// stay out of it: they may quote the recipient; provider_response_json keeps them):
/// no answer → unavailable; 401/403 → misconfigured (the key); 404 → misconfigured (the domain);
/// 400 and other statuses → upstream; 429 and 5xx → unavailable; a 2xx without an id → upstream.
result<mailgun_sent> parse_mailgun_send(const fetch_result& r);

/// The Retry-After of an answer in seconds, when it is given as delta-seconds (an HTTP date is
/// ignored); at most 3600. nullopt when there was no answer or no usable header.
std::optional<int> retry_after_seconds(const fetch_result& r);

/// A small JSON object recording what Mailgun said, for email_events.provider_response:
/// {"status":N,"id":…,"message":…} (id and message when the answer had them; a body that is not
/// JSON becomes the message), or {"failure":"timeout"|"connect"|"aborted"|"network","message":…}.
/// Strings are cut to 500 bytes; the text is always valid JSON.
std::string provider_response_json(const fetch_result& r);

}  // namespace salient
