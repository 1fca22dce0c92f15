#pragma once
// Safe reading of untrusted JSON with nlohmann::json built as JSON_NOEXCEPTION: in wasm a
// throw becomes abort(), so never call .at(), .get<T>() on an unchecked type, or parse without
// allow_exceptions=false. These helpers return nullopt/nullptr instead. Internal to the core:
// nlohmann::json does not appear in public headers.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace salient::detail {

using json = nlohmann::json;

/// Parses text; nullopt when it is not valid JSON.
inline std::optional<json> parse_json(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

/// The member `key` of an object, or nullptr when `obj` is not an object or lacks it.
inline const json* member(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

inline std::optional<std::string_view> string_member(const json& obj, std::string_view key) {
  const json* m = member(obj, key);
  if (!m || !m->is_string()) return std::nullopt;
  return std::string_view(m->get_ref<const std::string&>());
}

inline std::optional<std::int64_t> int_member(const json& obj, std::string_view key) {
  const json* m = member(obj, key);
  if (!m || !m->is_number_integer()) return std::nullopt;
  return m->get<std::int64_t>();
}

inline std::optional<double> number_member(const json& obj, std::string_view key) {
  const json* m = member(obj, key);
  if (!m || !m->is_number()) return std::nullopt;
  return m->get<double>();
}

inline std::optional<bool> bool_member(const json& obj, std::string_view key) {
  const json* m = member(obj, key);
  if (!m || !m->is_boolean()) return std::nullopt;
  return m->get<bool>();
}

/// Serialises without throwing on invalid UTF-8 (replaces it with U+FFFD).
inline std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace salient::detail
