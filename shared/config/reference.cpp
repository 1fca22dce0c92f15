// config_reference: docs/CONFIG.md's reference tables, rendered from the field tables
// (fields.cpp). One block per section, in the order of the compiled JSON, then the keys that
// are refused for now. A cell's "allowed / meaning" is the rule the kind and bounds state, then
// the row's sentence; its default is the default-constructed struct's value unless the row
// says otherwise (a default that follows another key).
#include <algorithm>
#include <string>
#include <vector>

#include "config/fields.h"
#include "salient/config/config.h"

namespace salient {
namespace {

using detail::field;
using detail::field_kind;

/// A table cell: Markdown's column separator escaped (GFM keeps `\|` inside code spans as `|`).
std::string cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string_view type_name(field_kind k) {
  switch (k) {
    case field_kind::code: return "code";
    case field_kind::integer: return "integer";
    case field_kind::number: return "number";
    case field_kind::flag: return "boolean";
    case field_kind::origins: return "list of strings";
    case field_kind::llm: return "mapping";
    case field_kind::team: return "list of {email, name}";
    case field_kind::emails: return "list of email addresses";
    default: return "string";
  }
}

/// A default as the docs show it: identifiers and paths as code, prose as prose.
std::string shown(const std::string& s) {
  if (s.empty()) return "`\"\"`";
  return s.find(' ') == std::string::npos ? "`" + s + "`" : s;
}

template <class T>
std::string default_cell(const field<T>& f, const T& defaults) {
  if (!f.default_doc.empty()) return std::string(f.default_doc);
  if (f.required) return "—";
  detail::value_ptr p = detail::locate(f, const_cast<T&>(defaults));  // read only
  if (auto s = std::get_if<std::string*>(&p)) return shown(**s);
  if (auto i = std::get_if<int*>(&p)) return "`" + std::to_string(**i) + "`";
  if (auto d = std::get_if<double*>(&p)) return "`" + detail::format_number(**d) + "`";
  if (auto b = std::get_if<bool*>(&p)) return **b ? "`true`" : "`false`";
  if (auto l = std::get_if<std::vector<std::string>*>(&p)) return (*l)->empty() ? "`[]`" : "";
  if (auto t = std::get_if<std::vector<team_member>*>(&p)) return (*t)->empty() ? "`[]`" : "";
  if (auto l = std::get_if<log_limit*>(&p)) return "`" + detail::format_log_limit(**l) + "`";
  return "—";
}

template <class T>
std::string allowed_cell(const field<T>& f) {
  std::vector<std::string> parts;
  if (f.required) parts.push_back("**required**");
  switch (f.kind) {
    case field_kind::integer:
    case field_kind::number:
      parts.push_back(detail::format_number(f.lo) + " … " + detail::format_number(f.hi));
      break;
    case field_kind::choice: {
      std::string list;
      std::string_view rest = f.choices;
      for (std::size_t bar = 0; bar != std::string_view::npos; rest.remove_prefix(bar + 1)) {
        bar = rest.find('|');
        list += (list.empty() ? "`" : " | `") + std::string(rest.substr(0, bar)) + "`";
        if (bar == std::string_view::npos) break;
      }
      if (!f.refused.empty())
        list += " (`" + std::string(f.refused) + "` is not supported yet: " + std::string(f.why) + ")";
      parts.push_back(list);
      break;
    }
    case field_kind::code:
      parts.push_back("1–" + std::to_string(f.max) + " characters of `a-z`, `0-9`, `-`");
      break;
    default: break;
  }
  if (!f.doc.empty()) parts.push_back(std::string(f.doc));
  if (f.kind == field_kind::text)
    parts.push_back(f.max ? "not empty, at most " + std::to_string(f.max) + " characters (Unicode code points)"
                          : "not empty");
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

std::string block_start(std::string_view section) {
  return "<!-- generated: salient config reference " + std::string(section) + " -->\n";
}
constexpr std::string_view block_end = "<!-- end generated -->\n";
constexpr std::string_view head = "| key | type | default | allowed / meaning |\n|---|---|---|---|\n";

/// The rows of `fields` below `prefix` ("app."), keys shown without it.
template <class T>
std::string rows(std::span<const field<T>> fields, std::string_view prefix, const T& defaults) {
  std::string out;
  for (const field<T>& f : fields) {
    if (!f.key.starts_with(prefix)) continue;
    out += "| `" + std::string(f.key.substr(prefix.size())) + "` | " + std::string(type_name(f.kind)) + " | " +
           cell(default_cell(f, defaults)) + " | " + cell(allowed_cell(f)) + " |\n";
  }
  return out;
}

std::string map_key_row(std::string_view meaning) {
  return "| *(the key)* | code | | 1–32 characters of `a-z`, `0-9`, `-`; " + std::string(meaning) + " |\n";
}

}  // namespace

std::string config_reference() {
  const config defaults;
  std::string out;
  auto block = [&](std::string_view section, const std::string& body) {
    out += (out.empty() ? "" : "\n") + block_start(section) + std::string(head) + body + std::string(block_end);
  };
  std::vector<std::string_view> sections;
  for (const field<config>& f : detail::config_fields) {
    std::string_view section = f.key.substr(0, f.key.find('.'));
    if (std::find(sections.begin(), sections.end(), section) != sections.end())
      continue;
    sections.push_back(section);
    if (f.kind == field_kind::llm) block(section, rows(detail::llm_fields, "", defaults.llm));
    else block(section, rows(detail::config_fields, std::string(section) + ".", defaults));
  }
  block("personas", map_key_row("unique") + rows(detail::persona_fields, "", persona_config{}));
  block("agents", map_key_row("the URL segment, `/a/{code}/`; unique") +
                      rows(detail::agent_fields, "", agent_config{}));
  block("offline", rows(detail::offline_fields, "", detail::default_offline(defaults.app.name)));
  return out;
}

}  // namespace salient
