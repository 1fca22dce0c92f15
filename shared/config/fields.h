#pragma once
// Each salient.yaml key is described once, as a `field`: its dotted key, its kind and bounds,
// the sentence docs/CONFIG.md shows, and where its value lives in the typed struct. From the
// tables of fields (fields.cpp) come the validation (read_fields.cpp), the compiled JSON
// (to_json.cpp) and the reference tables of docs/CONFIG.md (reference.cpp). What a table
// cannot say (the personas: and agents: maps, defaults that depend on other keys, cross-field
// checks) is code in config.cpp, which still reads the simple fields of those parts from here.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "config/validate.h"
#include "salient/config/config.h"

namespace salient::detail {

enum class field_kind {
  text,           ///< a string, not empty
  optional_text,  ///< a string that may be empty or null
  code,           ///< 1 to `max` characters of a-z, 0-9 and "-"
  choice,         ///< one of `choices`
  integer,        ///< an integer from `lo` to `hi`
  number,         ///< a number from `lo` to `hi`
  flag,           ///< true or false
  origins,        ///< a list of origins (app.allowed_origins)
  rotation,       ///< logging.rotation's size or age (log_limit.cpp)
  retention,      ///< logging.retention's age or file count
  llm,            ///< a mapping read with llm_fields (the global llm:, an agent's overrides)
  team,           ///< a list of {email, name} (handoff.team)
  emails,         ///< a list of distinct email addresses (admin.emails)
};

/// Where a field's value lives in T. The accessors return mutable references for the reader;
/// the writers only read through them.
template <class T>
using value_at = std::variant<std::monostate, std::string& (*)(T&), int& (*)(T&), double& (*)(T&), bool& (*)(T&),
                              std::vector<std::string>& (*)(T&), log_limit& (*)(T&), llm_settings& (*)(T&),
                            std::vector<team_member>& (*)(T&)>;

/// A field's value, once its owner is known.
using value_ptr = std::variant<std::monostate, std::string*, int*, double*, bool*, std::vector<std::string>*,
                               log_limit*, llm_settings*, std::vector<team_member>*>;

/// The functions' modules never render the reference (reference.cpp), so their tables leave the
/// docs' sentences out; only what the messages need stays.
#ifdef __wasi__
inline constexpr bool keep_docs = false;
#else
inline constexpr bool keep_docs = true;
#endif
constexpr std::string_view for_docs(std::string_view s) { return keep_docs ? s : std::string_view(); }

/// A field, but where its value lives: the same for every struct, so that the reader
/// (read_fields.cpp) is written once rather than per struct.
struct field_rule {
  std::string_view key = {};           ///< dotted, below its struct's own mapping: "chat.input.debounce_ms"
  field_kind kind = field_kind::text;
  std::string_view doc = {};           ///< what docs/CONFIG.md says after the allowed values
  double lo = 0, hi = 0;               ///< integer, number
  std::size_t max = 0;                 ///< code: the longest; text: the most code points (0: no limit)
  std::string_view choices = {};       ///< choice: "DEBUG|INFO|WARN|ERROR"
  std::string_view refused = {};       ///< choice: a value of the design not supported yet
  std::string_view why = {};           ///< refused: the reason, for the message and the docs
  bool (*check)(std::string_view) = nullptr;  ///< a further rule for non-empty text …
  std::string_view must = {};                 ///< … stated as "<key> must be <must>, got …"
  std::string_view default_doc = {};          ///< the docs' default when it is not the struct's own
  bool required = false;
};

template <class T>
struct field : field_rule {
  value_at<T> at = {};

  constexpr field between(double l, double h) const { return with([&](field& f) { f.lo = l, f.hi = h; }); }
  constexpr field at_most(std::size_t n) const { return with([&](field& f) { f.max = n; }); }
  constexpr field refusing(std::string_view value, std::string_view reason) const {
    return with([&](field& f) { f.refused = value, f.why = reason; });
  }
  constexpr field checked(bool (*c)(std::string_view), std::string_view rule) const {
    return with([&](field& f) { f.check = c, f.must = rule; });
  }
  constexpr field defaults(std::string_view d) const { return with([&](field& f) { f.default_doc = for_docs(d); }); }
  constexpr field needed() const { return with([](field& f) { f.required = true; }); }

 private:
  template <class F>
  constexpr field with(F change) const {
    field f = *this;
    change(f);
    return f;
  }
};

template <class T>
constexpr field<T> make_field(std::string_view key, field_kind kind, value_at<T> at, std::string_view doc) {
  field<T> f;
  f.key = key, f.kind = kind, f.at = at, f.doc = for_docs(doc);
  return f;
}

// The rows, one builder per kind: text("app.name", AT(app.name), "the business name").
template <class T>
constexpr field<T> text(std::string_view key, std::string& (*at)(T&), std::string_view doc) {
  return make_field<T>(key, field_kind::text, at, doc);
}
template <class T>
constexpr field<T> optional_text(std::string_view key, std::string& (*at)(T&), std::string_view doc) {
  return make_field<T>(key, field_kind::optional_text, at, doc);
}
template <class T>
constexpr field<T> code(std::string_view key, std::size_t max, std::string& (*at)(T&), std::string_view doc) {
  return make_field<T>(key, field_kind::code, at, doc).at_most(max);
}
template <class T>
constexpr field<T> choice(std::string_view key, std::string_view choices, std::string& (*at)(T&),
                          std::string_view doc) {
  field<T> f = make_field<T>(key, field_kind::choice, at, doc);
  f.choices = choices;
  return f;
}
template <class T>
constexpr field<T> integer(std::string_view key, int lo, int hi, int& (*at)(T&), std::string_view doc) {
  return make_field<T>(key, field_kind::integer, at, doc).between(lo, hi);
}
template <class T>
constexpr field<T> number(std::string_view key, double lo, double hi, double& (*at)(T&), std::string_view doc) {
  return make_field<T>(key, field_kind::number, at, doc).between(lo, hi);
}
template <class T>
constexpr field<T> flag(std::string_view key, bool& (*at)(T&), std::string_view doc) {
  return make_field<T>(key, field_kind::flag, at, doc);
}
template <class T>
constexpr field<T> origins(std::string_view key, std::vector<std::string>& (*at)(T&), std::string_view doc) {
  return make_field<T>(key, field_kind::origins, at, doc);
}
template <class T>
constexpr field<T> email_list(std::string_view key, std::vector<std::string>& (*at)(T&), std::string_view doc) {
  return make_field<T>(key, field_kind::emails, at, doc);
}
template <class T>
constexpr field<T> log_size_or_age(std::string_view key, log_limit& (*at)(T&), std::string_view doc) {
  return make_field<T>(key, field_kind::rotation, at, doc);
}
template <class T>
constexpr field<T> log_age_or_files(std::string_view key, log_limit& (*at)(T&), std::string_view doc) {
  return make_field<T>(key, field_kind::retention, at, doc);
}
template <class T>
constexpr field<T> team_list(std::string_view key, std::vector<team_member>& (*at)(T&), std::string_view doc) {
  return make_field<T>(key, field_kind::team, at, doc);
}
template <class T>
constexpr field<T> llm_section(std::string_view key, llm_settings& (*at)(T&), std::string_view doc) {
  return make_field<T>(key, field_kind::llm, at, doc);
}

// The tables (fields.cpp), each in the order of docs/CONFIG.md and of the compiled JSON.
extern const std::span<const field<config>> config_fields;          ///< app: … resilience:
extern const std::span<const field<llm_settings>> llm_fields;       ///< llm:, agents.<code>.llm:
extern const std::span<const field<persona_config>> persona_fields; ///< personas.<code>:
extern const std::span<const field<agent_config>> agent_fields;     ///< agents.<code>:
extern const std::span<const field<offline_answers>> offline_fields;///< offline:

/// The offline answers when offline: does not give them (config.cpp); they name the business.
offline_answers default_offline(const std::string& app_name);

template <class T>
value_ptr locate(const field<T>& f, T& owner) {
  value_ptr p;
  std::visit(
      [&](auto at) {
        if constexpr (!std::is_same_v<decltype(at), std::monostate>) p = &at(owner);
      },
      f.at);
  return p;
}

/// A row with its value located, for the reader, which does not depend on the struct.
struct located_field {
  const field_rule* rule;
  value_ptr value;
};
void read_located(validator& v, const json* j, const loc& at, std::span<const located_field> rows,
                  std::span<const std::string_view> extra);

/// Reads the fields of `fields` below `j` (the mapping at `at`) into `out`, refusing unknown
/// keys. `extra` are more keys the mapping may hold, which the caller reads itself.
template <class T>
void read_fields(validator& v, const json* j, const loc& at, std::span<const field<T>> fields, T& out,
                 std::span<const std::string_view> extra = {}) {
  std::vector<located_field> rows;
  rows.reserve(fields.size());
  for (const field<T>& f : fields) rows.push_back({&f, locate(f, out)});
  read_located(v, j, at, rows, extra);
}

}  // namespace salient::detail
