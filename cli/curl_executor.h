#pragma once
// The CLI's only network code: performs one of the core's outbound requests with libcurl and
// hands back the answer as the core's fetch_result, so that every request is built and every
// answer read by the core's sans-IO builders and parsers (shared/upstream/…), as in the
// functions, where the host's fetch does this part.
#include "salient/core/exchange.h"
#include "salient/core/http.h"

namespace salient::cli {

/// Sends `request` and waits for the whole answer, within request.timeout_ms (connecting
/// included, at most 15 s of it). Headers come back with lower-case names. A transport error
/// or timeout is a failure (kind timeout, connect or network; the message is libcurl's); any
/// HTTP status is an answer. Never throws.
fetch_result curl_perform(const outbound_request& request);

}  // namespace salient::cli
