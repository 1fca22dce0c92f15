// parse_structured on arbitrary bytes with a fixed spec (every field type, required and
// optional, length limits). Invariants: a value or a typed error, never a crash; a value holds
// exactly the spec's fields, each of its declared type (null only when optional) and within
// max_length; and the value survives to_json → parse_structured unchanged.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "salient/upstream/openrouter/structured_output.h"

namespace {

const salient::object_spec& spec() {
  using salient::field_type;
  static const salient::object_spec s{"fz",
                                      "",
                                      {{"name", field_type::string, true, "", 8},
                                       {"note", field_type::string, false, "", 0},
                                       {"count", field_type::integer, true, "", 0},
                                       {"score", field_type::number, false, "", 0},
                                       {"ok", field_type::boolean, false, "", 0},
                                       {"tags", field_type::string_array, false, "", 4}}};
  return s;
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool holds(const salient::structured_field& v, const salient::field_spec& f) {
  if (std::holds_alternative<std::monostate>(v)) return !f.required;
  switch (f.type) {
    case salient::field_type::string: {
      const auto* s = std::get_if<std::string>(&v);
      return s && (f.max_length == 0 || code_points(*s) <= f.max_length);
    }
    case salient::field_type::integer: return std::holds_alternative<std::int64_t>(v);
    case salient::field_type::number: return std::holds_alternative<double>(v);
    case salient::field_type::boolean: return std::holds_alternative<bool>(v);
    case salient::field_type::string_array: {
      const auto* a = std::get_if<std::vector<std::string>>(&v);
      if (!a) return false;
      for (const auto& s : *a)
        if (f.max_length > 0 && code_points(s) > f.max_length) return false;
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto v = salient::parse_structured(in, spec());
  if (!v) {
    if (v.err().kind != salient::errc::bad_request || v.err().message.rfind("fz", 0) != 0) std::abort();
    return 0;
  }
  const auto& fields = v->fields();
  if (fields.size() != spec().fields.size()) std::abort();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].first != spec().fields[i].name) std::abort();
    if (!holds(fields[i].second, spec().fields[i])) std::abort();
  }
  auto again = salient::parse_structured(salient::to_json(*v), spec());
  if (!again || again->fields() != fields) std::abort();
  return 0;
}
