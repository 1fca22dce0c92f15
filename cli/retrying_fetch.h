#pragma once
// Sending a request until it gets an answer worth acting on: the retries of `salient ingest
// --pinecone` (pinecone_upload.h). 408, 429, 5xx and transport failures (as the core's
// trouble_of classifies them) are tried again, at most `max_attempts` times in all, with
// exponential backoff from `first_backoff` that follows Retry-After (delta-seconds, fractions
// accepted, or an HTTP date), each wait capped at `max_sleep`. Performing the request, sleeping
// and reporting are functions, so the loop runs without a network in tests.
#include <chrono>
#include <functional>
#include <string>

#include "salient/core/exchange.h"
#include "salient/core/http.h"
#include "salient/core/result.h"

namespace salient::cli {

struct fetch_io {
  std::function<fetch_result(const outbound_request&)> perform;  ///< curl_perform, or a script
  std::function<void(std::chrono::milliseconds)> sleep;          ///< between attempts (may be empty)
  std::function<void(const std::string&)> note;                  ///< each retry, said (may be empty)
  int max_attempts = 5;
  std::chrono::milliseconds first_backoff{500};
  std::chrono::milliseconds max_sleep{30000};
};

/// The first 2xx answer to `request`. Errors name the call (`what`, e.g. "Pinecone upsert") and
/// what went wrong: "Pinecone upsert: HTTP 400: <the upstream's message>" (upstream) at once for
/// an answer not worth retrying; after the last attempt, the same with "(gave up after N
/// attempts)" (unavailable when there was no answer at all). No message holds a header value,
/// so no key ever reaches one.
result<fetch_result> fetch_with_retries(fetch_io& io, const outbound_request& request, const std::string& what);

}  // namespace salient::cli
