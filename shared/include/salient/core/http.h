#pragma once
// HTTP values that cross the sans-IO boundary: the inbound request, the outbound requests the
// core asks the host to perform (effects), and response heads. Plus the small parsers every
// flow needs: query strings, application/x-www-form-urlencoded bodies, media types.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "salient/core/result.h"

namespace salient {

struct header {
  std::string name;  ///< lower-case
  std::string value;
};
using header_list = std::vector<header>;

/// The value of the first header called `name` (lower-case), or empty.
std::string_view find_header(const header_list& headers, std::string_view name);

/// An inbound request as the host hands it over (docs/ABI.md, "request head").
struct request {
  std::string method;
  std::string target;      ///< path + query as received
  std::string path;        ///< percent-decoding is left to the router (segments are decoded one by one)
  std::string query;       ///< without '?'
  header_list headers;
  std::string body;
  bool body_truncated = false;  ///< the host stopped reading at limits.max_body_bytes + 1
  std::int64_t now_ms = 0;
  std::string request_id;
  std::string entropy_seed;     ///< 32 bytes when the head carried "entropy" (replays), else empty
  /// The client's address as the platform guarantees it (head field client_ip; docs/ABI.md):
  /// never read from a header the client could set. Empty when the host does not know it.
  std::string client_ip;
  /// The host's own scheduled run (head field scheduled; docs/ABI.md), never a visitor's request:
  /// only the driver's sweep() sets it, and no public route leads to what it runs.
  bool scheduled = false;
  /// The host's own run that stores its recent warnings (head field log_flush; docs/ABI.md): only
  /// the driver's flushLog() sets it, for the otp module; the body is the lines' JSON array.
  bool log_flush = false;
  /// The host's per-instance counters (head field instance_metrics, a JSON object; docs/ABI.md),
  /// given only with GET /metrics: requests, upstream errors and refusals this isolate or process
  /// has seen since it started. Empty when absent.
  std::string instance_metrics_json;

  std::string_view header(std::string_view name) const { return find_header(headers, name); }
};

/// An outbound HTTP request the core asks the host to perform.
struct outbound_request {
  std::string method = "GET";
  std::string url;
  header_list headers;
  std::string body;
  /// Whole effects: until the complete response. Streaming ones: until the head, and then the
  /// longest silence between two pieces of the body (a stalled upstream fails as a timeout).
  int timeout_ms = 10000;
  bool stream = false;  ///< feed the response body as it arrives (LLM SSE), not whole
  int delay_ms = 0;     ///< the host waits this long before sending (retry backoff: the core has no timers)
};

struct response_head {
  int status = 200;
  header_list headers;
  std::int64_t at_ms = 0;  ///< host clock when the head arrived (effects only; 0 when not given)
};

enum class effect_failure_kind { timeout, connect, aborted, network };

struct effect_failure {
  effect_failure_kind kind = effect_failure_kind::network;
  std::string message;
};

/// Decodes %XX escapes (and '+' as space when `plus_as_space`). nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view in, bool plus_as_space);

/// Encodes everything outside RFC 3986's unreserved set.
std::string percent_encode(std::string_view in);

using form_fields = std::vector<std::pair<std::string, std::string>>;

/// Parses an application/x-www-form-urlencoded body or a query string.
/// Fails with bad_request on a malformed escape.
result<form_fields> parse_form(std::string_view body);

/// The first value of `name` in parsed form fields, if present.
std::optional<std::string_view> form_value(const form_fields& fields, std::string_view name);

/// The media type of a Content-Type value, lower-cased, parameters dropped
/// ("Application/JSON; charset=utf-8" → "application/json").
std::string media_type(std::string_view content_type);

/// True when the client asked for JSON: Accept names application/json before text/html.
bool prefers_json(const request& req);

/// True when `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool is_valid_utf8(std::string_view s);
/// Offset of the first byte that is not part of well-formed UTF-8 (overlongs and surrogates
/// are not), or npos.
std::size_t first_invalid_utf8(std::string_view s);

/// An absolute http:// or https:// URL (what an upstream base URL from env or config must be).
inline bool is_http_url(std::string_view url) { return url.starts_with("http://") || url.starts_with("https://"); }

/// Number of code points in well-formed UTF-8.
std::size_t utf8_length(std::string_view s);

}  // namespace salient
