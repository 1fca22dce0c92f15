#pragma once
// Cross-origin use of the API by the widget on another site.
// Same-origin by default: a site in app.allowed_origins (exact scheme://host[:port]) may call
// the chat, history and stream endpoints from its pages, so its responses name that origin in
// Access-Control-Allow-Origin. No credentials are involved (the session key travels in the
// body), so Allow-Credentials is never sent. Every other origin gets no CORS headers: the
// browser keeps the response from it, and chat_input::check_post refuses its POSTs anyway.
#include "salient/config/config.h"
#include "salient/core/exchange.h"
#include "salient/core/http.h"
#include "salient/core/task.h"

namespace salient {

/// The request's Origin when it is another site that app.allowed_origins lists; else empty.
std::string_view allowed_cross_origin(const request& req, const config& cfg);

/// The headers an actual (non-preflight) response carries for that origin; none otherwise.
/// `Vary: Origin` is sent whenever the allowlist is not empty, so a shared cache never serves
/// one site's answer headers to another.
header_list cors_response_headers(const request& req, const config& cfg);

/// OPTIONS (a CORS preflight): 204 with the allowed methods and headers for an allowed
/// origin; 403 with a JSON error for any other.
task<void> cors_preflight(exchange& ex, const config& cfg);

}  // namespace salient
