// read_fields (fields.h): a table's fields read from a mapping, one level of keys at a time,
// by code that does not depend on the struct (read_fields only locates each row's value).
// Each level's mapping may hold the keys its rows name (and the caller's `extra`). At each level the required keys are checked
// first, then the rows are read in table order, a nested mapping when its first row comes up,
// so the first error reported is the first in the docs' order.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "config/fields.h"

namespace salient::detail {
namespace {

/// `key` below `prefix` ("input.debounce_ms" for "chat.input.debounce_ms" below "chat."), or nullopt.
std::optional<std::string_view> below(std::string_view key, std::string_view prefix) {
  if (!key.starts_with(prefix) || key.size() == prefix.size()) return std::nullopt;
  return key.substr(prefix.size());
}

std::vector<std::string_view> split_choices(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t bar; (bar = s.find('|')) != std::string_view::npos; s.remove_prefix(bar + 1))
    out.push_back(s.substr(0, bar));
  out.push_back(s);
  return out;
}

/// The value a row's accessor points at. A row whose kind does not match its accessor's type is
/// a bug in fields.cpp; config_table.test.cpp checks every row.
template <class V>
V& ref(const value_ptr& p) {
  return **std::get_if<V*>(&p);
}

void read_one(validator& v, const json* s, const loc& sec, std::string_view key, const located_field& row) {
  const field_rule& f = *row.rule;
  const value_ptr& p = row.value;
  switch (f.kind) {
    case field_kind::text:
    case field_kind::optional_text: {
      std::string& value = ref<std::string>(p);
      auto empty = f.kind == field_kind::text ? validator::empty_is::error : validator::empty_is::allowed;
      v.text(s, key, sec, value, empty);
      if (v.failed() || !child(s, key) || value.empty()) return;
      loc at = sec.key(key);
      if (f.check && !f.check(value))
        return v.fail(at, at.name + " must be " + std::string(f.must) + ", got " + in_quotes(value));
      if (std::size_t n = code_points(value); f.max && n > f.max)
        return v.fail(at, at.name + " must be at most " + std::to_string(f.max) + " characters, got " +
                              std::to_string(n));
      return;
    }
    case field_kind::code: return v.code(s, key, sec, f.max, ref<std::string>(p));
    case field_kind::choice:
      return v.choice(s, key, sec, split_choices(f.choices), ref<std::string>(p), f.refused, f.why);
    case field_kind::integer:
      return v.integer(s, key, sec, static_cast<int>(f.lo), static_cast<int>(f.hi), ref<int>(p));
    case field_kind::number: return v.number(s, key, sec, f.lo, f.hi, ref<double>(p));
    case field_kind::flag: return v.flag(s, key, sec, ref<bool>(p));
    case field_kind::origins: return v.origins(s, key, sec, ref<std::vector<std::string>>(p));
    case field_kind::emails: return v.emails(s, key, sec, ref<std::vector<std::string>>(p));
    case field_kind::rotation:
    case field_kind::retention:
      return v.log_limit_value(s, key, sec, f.kind == field_kind::rotation, ref<log_limit>(p));
    case field_kind::team: return v.team(s, key, sec, ref<std::vector<team_member>>(p));
    case field_kind::llm: return read_fields(v, child(s, key), sec.key(key), llm_fields, ref<llm_settings>(p));
  }
}

void read_level(validator& v, const json* j, const loc& at, std::span<const located_field> rows,
                std::string_view prefix, std::span<const std::string_view> extra) {
  if (v.failed()) return;
  std::vector<std::string_view> keys;
  for (const located_field& row : rows) {
    std::optional<std::string_view> rest = below(row.rule->key, prefix);
    if (!rest) continue;
    std::string_view head = rest->substr(0, rest->find('.'));
    if (std::find(keys.begin(), keys.end(), head) == keys.end()) keys.push_back(head);
  }
  keys.insert(keys.end(), extra.begin(), extra.end());
  const json* s = v.section(j, at, keys);
  for (const located_field& row : rows) {
    std::optional<std::string_view> rest = below(row.rule->key, prefix);
    if (v.failed() || !rest || !row.rule->required || rest->find('.') != std::string_view::npos || child(s, *rest))
      continue;
    loc missing = at.key(*rest);
    v.fail(missing, missing.name + " is required");
  }
  std::vector<std::string_view> nested_done;
  for (const located_field& row : rows) {
    std::optional<std::string_view> rest = below(row.rule->key, prefix);
    if (v.failed()) return;
    if (!rest) continue;
    std::size_t dot = rest->find('.');
    if (dot == std::string_view::npos) {
      read_one(v, s, at, *rest, row);
      continue;
    }
    std::string_view head = rest->substr(0, dot);
    if (std::find(nested_done.begin(), nested_done.end(), head) != nested_done.end()) continue;
    nested_done.push_back(head);
    read_level(v, child(s, head), at.key(head), rows, row.rule->key.substr(0, prefix.size() + dot + 1), {});
  }
}

}  // namespace

void read_located(validator& v, const json* j, const loc& at, std::span<const located_field> rows,
                  std::span<const std::string_view> extra) {
  read_level(v, j, at, rows, "", extra);
}

}  // namespace salient::detail
