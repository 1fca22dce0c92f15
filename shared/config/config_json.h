#pragma once
// parse_config in its two steps, for the instance, which already holds the configuration as a
// parsed document inside its configure input: it checks that text for duplicate keys once and
// validates the member, instead of serialising it again for parse_config to parse twice more.
#include <optional>
#include <string_view>

#include "salient/config/config.h"
#include "core/json.h"
#include "salient/core/result.h"

namespace salient::detail {

/// The first duplicate key anywhere in `json_text` (nlohmann's DOM would keep the last one).
std::optional<error> find_duplicate_key(std::string_view json_text);

/// Validates a parsed configuration document (the checks of parse_config after its duplicate scan).
result<config> config_from_json(const json& doc);

}  // namespace salient::detail
