#pragma once
// What the chat function's POST routes (/chat, /history, /sessions) share: reading a form or
// JSON body, the key syntax, the cross-site check. Private to the chat flows.
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

}  // namespace salient::chat_input
