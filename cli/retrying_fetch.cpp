#include "retrying_fetch.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>

#include <curl/curl.h>

#include "upstream/pinecone/pinecone_endpoint.h"

namespace salient::cli {
namespace {

/// Retry-After as a delay: delta-seconds (fractions accepted) or an HTTP date; nullopt if absent
/// or bad. Read here, not by the core's classifier, which knows whole seconds only: a date needs
/// the clock.
std::optional<std::chrono::milliseconds> retry_after(std::string_view header) {
  const std::string value(header);
  if (value.empty()) return std::nullopt;
  char* end = nullptr;
  double seconds = std::strtod(value.c_str(), &end);
  if (end != value.c_str() && *end == '\0' && std::isfinite(seconds) && seconds >= 0) {
    return std::chrono::milliseconds(static_cast<long long>(std::min(seconds, 86400.0) * 1000));
  }
  time_t at = curl_getdate(value.c_str(), nullptr);
  if (at < 0) return std::nullopt;
  long long delta = static_cast<long long>(at) - static_cast<long long>(std::time(nullptr));
  return std::chrono::milliseconds(std::clamp(delta, 0LL, 86400LL) * 1000);
}

std::string seconds_text(std::chrono::milliseconds d) {
  char out[32];
  std::snprintf(out, sizeof out, "%.1f s", static_cast<double>(d.count()) / 1000.0);
  return out;
}

}  // namespace

result<fetch_result> fetch_with_retries(fetch_io& io, const outbound_request& rq, const std::string& what) {
  const int attempts = std::max(1, io.max_attempts);
  for (int attempt = 1;; ++attempt) {
    fetch_result r = io.perform(rq);
    std::optional<upstream_trouble> trouble = trouble_of(r);
    if (!trouble) return r;
    std::string problem = r.failure ? r.failure->message
                                    : "HTTP " + std::to_string(r.head.status) + ": " + upstream_error_message(r.body);
    if (!trouble->retryable) return make_error(errc::upstream, what + ": " + problem);
    if (attempt >= attempts) {
      return make_error(r.failure ? errc::unavailable : errc::upstream,
                        what + ": " + problem + " (gave up after " + std::to_string(attempts) + " attempts)");
    }
    std::chrono::milliseconds delay = io.first_backoff * (1LL << std::min(attempt - 1, 20));
    if (auto hinted = retry_after(find_header(r.head.headers, "retry-after"))) delay = *hinted;
    delay = std::min(delay, io.max_sleep);
    if (io.note) {
      io.note(what + ": " + problem + "; retrying in " + seconds_text(delay) + " (attempt " + std::to_string(attempt + 1) +
              " of " + std::to_string(attempts) + ")");
    }
    if (io.sleep) io.sleep(delay);
  }
}

}  // namespace salient::cli
