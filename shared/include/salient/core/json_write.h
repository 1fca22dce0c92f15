#pragma once
// Writing JSON text directly, for the hot and the large documents (relayed tokens, a stored
// answer with its prompt) where building an nlohmann DOM to serialise it costs more than the
// work itself. Everything else uses nlohmann (shared/core/json.h, private to the core).
#include <string>
#include <string_view>

namespace salient {

/// Appends `s` as a JSON string literal, quotes included. UTF-8 passes through unchanged;
/// quotes, backslashes and control characters are escaped.
void append_json_string(std::string& out, std::string_view s);

/// True when `s` is plausibly a JSON object: `{` … `}` around it, whitespace aside. For text
/// the core built itself and splices into a larger document without parsing it again.
bool looks_like_json_object(std::string_view s);

}  // namespace salient
