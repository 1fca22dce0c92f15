#pragma once
// Codecs for the JSON documents of the ABI (docs/ABI.md): the request head the host sends,
// effect response heads and failures it feeds back, and the effect / response-head / log
// documents the core emits. Parse at the boundary: everything past here is typed.
#include <cstdint>
#include <string>
#include <string_view>

#include "salient/http.h"
#include "salient/result.h"

namespace salient {

/// Parses the request head; `body` becomes request::body. Errors are bad_request with `path`.
result<request> parse_request_head(std::string_view head_json, std::string_view body);

result<response_head> parse_response_head(std::string_view json);
result<effect_failure> parse_effect_failure(std::string_view json);

std::string effect_to_json(std::uint32_t id, const outbound_request& req);
std::string response_head_to_json(const response_head& head);

/// "timeout", "connect", "aborted" or "network".
const char* effect_failure_kind_name(effect_failure_kind kind);

}  // namespace salient
