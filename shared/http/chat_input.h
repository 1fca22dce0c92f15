#pragma once
// What the POST routes of the four functions share: reading a form or JSON body, the key syntax,
// the cross-site check (and its gate, run for every module by runtime/instance.cpp). Private to
// the core.
#include <initializer_list>
#include <optional>
#include <string_view>

#include "salient/config/config.h"
#include "salient/core/http.h"
#include "salient/core/result.h"

namespace salient::chat_input {

/// Session and idempotency keys: 8-128 of [A-Za-z0-9_-] (a uuid fits; nothing to escape).
bool is_key(std::string_view s);

/// The string fields of an application/x-www-form-urlencoded or application/json body. In JSON,
/// null members are left out, and an array of strings given for one of `list_fields` becomes
/// one comma-separated value (so a form's `a,b` and JSON's ["a","b"] read alike); any other
/// non-string member is a 400.
result<form_fields> read_body_fields(const request& req, std::initializer_list<std::string_view> list_fields = {});

/// CSRF: a browser says where a request comes from. Same-origin requests and the configured
/// widget origins may post; anything else cross-site is refused. Non-browser clients send
/// neither header and are not subject to CSRF.
bool origin_allowed(const request& req, const config& cfg);

/// The checks every POST passes before its body is read: size, then origin.
std::optional<error> check_post(const request& req, const config& cfg);

/// A route that changes state without the browser-origin check, named with what authenticates
/// it instead. A browser's cross-site post cannot carry that proof, so the check would add
/// nothing, and the sender (Mailgun) is no browser and may send any header.
struct origin_exemption {
  std::string_view method;
  std::string_view path;  ///< exact
  std::string_view authenticated_by;
};

/// Every exemption of the core, in one place. hosts/origin-exemptions.js repeats them beside the
/// hosts' own (the cron entries, the dev server's Mailgun stand-in), which never reach the core
/// as a visitor's request. The scheduled sweep is not here: only the host's sweep() sets
/// request.scheduled (hosts/driver.js), so no browser can send one.
inline constexpr origin_exemption origin_exemptions[] = {
    {"POST", "/mail/inbound",
     "Mailgun's HMAC-SHA256 signature (MAILGUN_WEBHOOK_SIGNING_KEY) over timestamp and token, "
     "fresh within 5 minutes, each token taken once (flows/handoff/inbound_route.cpp)"},
};

/// The exemption naming this request's method and path, or null.
const origin_exemption* origin_exemption_for(const request& req);

/// The gate every module runs before a route sees a request (runtime/instance.cpp): a request
/// that can change state (any method but GET, HEAD, OPTIONS) must pass origin_allowed unless an
/// exemption names it. The routes check too (check_post, with their own answer formats); this
/// keeps a route added later, or one that forgot, from taking a forged post.
std::optional<error> check_origin_gate(const request& req, const config& cfg);

}  // namespace salient::chat_input
