// Typed answers from the language model, the part that needs no call: the JSON Schema of an
// object_spec and the validation of an answer into a structured_value (structured_output.h has
// the rules). The calls that ask for them are in structured_output.cpp.
#include "salient/upstream/openrouter/structured_output.h"

#include <cmath>
#include <limits>

#include "core/json.h"

namespace salient {
namespace {

using detail::json;
using ojson = nlohmann::ordered_json;  // keeps properties in field order: models write them in that order

constexpr std::size_t max_answer_bytes = 256u << 10;  // above any max_tokens (32768); bounds the scan
constexpr int max_candidates = 32;                  // `{` positions tried before giving up

std::string dump(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

const char* type_name(field_type t) {
  switch (t) {
    case field_type::string: return "string";
    case field_type::integer: return "integer";
    case field_type::number: return "number";
    case field_type::boolean: return "boolean";
    case field_type::string_array: return "array";
  }
  return "string";
}

const char* expected(field_type t) {
  switch (t) {
    case field_type::string: return "expected a string";
    case field_type::integer: return "expected an integer";
    case field_type::number: return "expected a number";
    case field_type::boolean: return "expected true or false";
    case field_type::string_array: return "expected an array of strings";
  }
  return "expected a string";
}

ojson schema_of(const object_spec& spec) {
  ojson props = ojson::object();
  ojson required = ojson::array();
  for (const field_spec& f : spec.fields) {
    ojson p = ojson::object();
    if (f.required) p["type"] = type_name(f.type);
    else p["type"] = ojson::array({type_name(f.type), "null"});
    if (f.type == field_type::string_array) p["items"] = {{"type", "string"}};
    std::string description = f.description;
    if (f.max_length > 0) {
      if (!description.empty()) description += ' ';
      description += (f.type == field_type::string_array ? "Each item at most " : "At most ") +
                     std::to_string(f.max_length) + " characters.";
    }
    if (!description.empty()) p["description"] = description;
    props[f.name] = std::move(p);
    required.push_back(f.name);  // strict mode: every property is required; optional ones may be null
  }
  ojson schema = ojson::object();
  schema["type"] = "object";
  if (!spec.description.empty()) schema["description"] = spec.description;
  schema["properties"] = std::move(props);
  schema["required"] = std::move(required);
  schema["additionalProperties"] = false;
  return schema;
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count every byte that is not a continuation
  return n;
}

error field_error(const object_spec& spec, const field_spec& f, std::string what) {
  return make_error(errc::bad_request, spec.name + "." + f.name + ": " + std::move(what), "/" + f.name);
}

result<structured_field> read_field(const object_spec& spec, const field_spec& f, const json* v) {
  if (!v || v->is_null()) {
    if (!f.required) return structured_field{};
    return field_error(spec, f, v ? std::string(expected(f.type)) + ", got null" : "missing");
  }
  auto too_long = [&](const std::string& s) { return f.max_length > 0 && code_points(s) > f.max_length; };
  switch (f.type) {
    case field_type::string: {
      if (!v->is_string()) return field_error(spec, f, expected(f.type));
      const std::string& s = v->get_ref<const std::string&>();
      if (too_long(s)) return field_error(spec, f, "longer than " + std::to_string(f.max_length) + " characters");
      return structured_field{s};
    }
    case field_type::integer: {
      if (v->is_number_unsigned()) {
        auto u = v->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          return field_error(spec, f, "integer out of range");
        return structured_field{static_cast<std::int64_t>(u)};
      }
      if (v->is_number_integer()) return structured_field{v->get<std::int64_t>()};
      if (v->is_number_float()) {
        double d = v->get<double>();
        // [-2^63, 2^63): exactly the doubles that convert to int64 without overflow.
        if (std::isfinite(d) && std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
          return structured_field{static_cast<std::int64_t>(d)};
      }
      return field_error(spec, f, expected(f.type));
    }
    case field_type::number: {
      if (!v->is_number()) return field_error(spec, f, expected(f.type));
      double d = v->get<double>();
      if (!std::isfinite(d)) return field_error(spec, f, "number out of range");
      return structured_field{d};
    }
    case field_type::boolean:
      if (!v->is_boolean()) return field_error(spec, f, expected(f.type));
      return structured_field{v->get<bool>()};
    case field_type::string_array: {
      if (!v->is_array()) return field_error(spec, f, expected(f.type));
      std::vector<std::string> items;
      items.reserve(v->size());
      for (const json& item : *v) {
        if (!item.is_string()) return field_error(spec, f, expected(f.type));
        const std::string& s = item.get_ref<const std::string&>();
        if (too_long(s))
          return field_error(spec, f, "an item is longer than " + std::to_string(f.max_length) + " characters");
        items.push_back(s);
      }
      return structured_field{std::move(items)};
    }
  }
  return field_error(spec, f, expected(f.type));
}

/// The end (one past the `}`) of the balanced object starting at `start`, counting braces
/// outside JSON strings; npos when it never closes.
std::size_t balanced_end(std::string_view text, std::size_t start) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = start; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

/// The first balanced `{…}` in the text that parses as a JSON object (fences and prose around
/// it are skipped by construction).
std::optional<json> first_object(std::string_view text) {
  int tried = 0;
  for (std::size_t at = text.find('{'); at != std::string_view::npos && tried < max_candidates;
       at = text.find('{', at + 1), ++tried) {
    std::size_t end = balanced_end(text, at);
    if (end == std::string_view::npos) continue;
    std::string_view candidate = text.substr(at, end - at);
    if (candidate.find('\0') != std::string_view::npos) continue;  // nlohmann reads NUL as the end
    if (auto doc = detail::parse_json(candidate); doc && doc->is_object()) return doc;
  }
  return std::nullopt;
}

}  // namespace

std::string json_schema_for(const object_spec& spec) { return dump(schema_of(spec)); }

const structured_field* structured_value::find(std::string_view name) const {
  for (const auto& [k, v] : fields_)
    if (k == name) return &v;
  return nullptr;
}

std::optional<std::string_view> structured_value::text(std::string_view name) const {
  const structured_field* f = find(name);
  const std::string* s = f ? std::get_if<std::string>(f) : nullptr;
  return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

std::optional<std::int64_t> structured_value::integer(std::string_view name) const {
  const structured_field* f = find(name);
  const std::int64_t* v = f ? std::get_if<std::int64_t>(f) : nullptr;
  return v ? std::optional<std::int64_t>(*v) : std::nullopt;
}

std::optional<double> structured_value::number(std::string_view name) const {
  const structured_field* f = find(name);
  const double* v = f ? std::get_if<double>(f) : nullptr;
  return v ? std::optional<double>(*v) : std::nullopt;
}

std::optional<bool> structured_value::boolean(std::string_view name) const {
  const structured_field* f = find(name);
  const bool* v = f ? std::get_if<bool>(f) : nullptr;
  return v ? std::optional<bool>(*v) : std::nullopt;
}

std::span<const std::string> structured_value::strings(std::string_view name) const {
  const structured_field* f = find(name);
  const auto* v = f ? std::get_if<std::vector<std::string>>(f) : nullptr;
  return v ? std::span<const std::string>(*v) : std::span<const std::string>();
}

result<structured_value> parse_structured(std::string_view text, const object_spec& spec) {
  if (text.size() > max_answer_bytes) return make_error(errc::bad_request, spec.name + ": the answer is too long");
  std::optional<json> doc = first_object(text);
  if (!doc) return make_error(errc::bad_request, spec.name + ": no JSON object found in the answer");
  std::vector<std::pair<std::string, structured_field>> fields;
  fields.reserve(spec.fields.size());
  for (const field_spec& f : spec.fields) {
    auto v = read_field(spec, f, detail::member(*doc, f.name));
    if (!v) return v.err();
    fields.emplace_back(f.name, std::move(*v));
  }
  return structured_value(std::move(fields));
}

std::string to_json(const structured_value& value) {
  ojson out = ojson::object();
  for (const auto& [name, v] : value.fields()) {
    ojson& slot = out[name];
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::monostate>) slot = nullptr;
          else slot = x;
        },
        v);
  }
  return dump(out);
}

}  // namespace salient
