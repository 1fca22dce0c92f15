#pragma once
// An EFFECT step's bytes (docs/ABI.md: the JSON line, a newline, the raw body) as one JSON
// document with the body under "body", the way tests look at effects.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "salient/core/envelope.h"

namespace salient::testing {

inline nlohmann::json effect_doc(std::string_view bytes) {
  auto [head, body] = split_effect_step(bytes);
  nlohmann::json doc = nlohmann::json::parse(head);
  if (!body.empty()) doc["body"] = std::string(body);
  return doc;
}

/// Whether an effect document names its content-type (docs/ABI.md: every effect with a body does).
inline bool has_content_type(const nlohmann::json& effect) {
  for (const auto& h : effect.value("headers", nlohmann::json::array()))
    if (h.is_array() && h.size() == 2 && h[0] == "content-type") return true;
  return false;
}

}  // namespace salient::testing
