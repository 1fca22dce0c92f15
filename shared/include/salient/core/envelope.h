#pragma once
// Codecs for the JSON documents of the ABI (docs/ABI.md): the request head the host sends,
// effect response heads and failures it feeds back, and the effect / response-head / log
// documents the core emits. Parse at the boundary: everything past here is typed.
#include <cstdint>
#include <string>
#include <string_view>

#include "salient/core/http.h"
#include "salient/core/result.h"

namespace salient {

/// Parses the request head; `body` becomes request::body. Errors are bad_request with `path`.
result<request> parse_request_head(std::string_view head_json, std::string_view body);

result<response_head> parse_response_head(std::string_view json);
result<effect_failure> parse_effect_failure(std::string_view json);

/// An EFFECT step's bytes (docs/ABI.md): the effect's JSON on one line (id, method, url,
/// headers, timeout_ms, stream, delay_ms), a newline, then the request body's raw bytes. The
/// body is not escaped into the JSON: it can be a 20 KB stored answer or a 10 KB prompt, and
/// escaping it there cost a second pass over it in the core and a parse of it in the host.
std::string effect_step_bytes(std::uint32_t id, const outbound_request& req);

/// The two parts of an EFFECT step's bytes: `head` is the JSON, `body` the raw bytes after
/// the newline (empty when the effect has no body).
struct effect_step_parts {
  std::string_view head, body;
};
effect_step_parts split_effect_step(std::string_view bytes);

std::string response_head_to_json(const response_head& head);

/// "timeout", "connect", "aborted" or "network".
const char* effect_failure_kind_name(effect_failure_kind kind);

}  // namespace salient
