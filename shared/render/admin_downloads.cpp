// The operator's downloads (render/admin_pages.h): the leads as CSV; and the effective
// configuration, as YAML and as the configuration page.
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "render/admin_pages.h"
#include "render/admin_vars.h"

namespace salient {

using namespace detail;

namespace {

// ---- CSV ----

/// One RFC 4180 field, always quoted ("" inside). A spreadsheet reads a cell that starts with
/// = + - @ (or TAB or CR, which some strip first) as a formula: such a cell starts with ' instead.
void csv_field(std::string& out, std::string_view value) {
  out += '"';
  if (!value.empty() && std::string_view("=+-@\t\r").find(value.front()) != std::string_view::npos) out += '\'';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void csv_record(std::string& out, std::initializer_list<std::string> fields) {
  bool first = true;
  for (const std::string& f : fields) {
    if (!first) out += ',';
    csv_field(out, f);
    first = false;
  }
  out += "\r\n";
}

// ---- YAML ----

void spaces(std::string& out, int n) { out.append(static_cast<std::size_t>(n), ' '); }

void append_u(std::string& out, unsigned cp) {
  static constexpr char hex[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += hex[(cp >> shift) & 15];
}

/// The length of the UTF-8 sequence at `s[i]` and its code point, or 0 when it is not valid
/// (a stray continuation byte, a truncated or overlong sequence, a surrogate, beyond U+10FFFF).
std::size_t utf8_at(std::string_view s, std::size_t i, unsigned& cp) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned c = b(i);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  static constexpr unsigned min_of[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_of[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

/// A double-quoted YAML scalar that is also a JSON string: " and \ escaped, the C0 controls with
/// JSON's short escapes or \u00XX, and what YAML does not allow raw or reads as a line break
/// (DEL, the C1 controls with NEL, U+2028, U+2029) or could be taken for a byte order mark
/// (U+FEFF), U+FFFE and U+FFFF as \uXXXX. Invalid UTF-8 becomes U+FFFD.
std::string yaml_string(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    unsigned cp = 0;
    std::size_t n = utf8_at(s, i, cp);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++i;
      continue;
    }
    switch (cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff || cp == 0xfffe ||
            cp == 0xffff)
          append_u(out, cp);
        else
          out.append(s.substr(i, n));
    }
    i += n;
  }
  return out + "\"";
}

/// A key as it is when nothing else can be read from it (a letter or _, then letters, digits, _
/// or -, and none of the words YAML 1.1 readers take for booleans or null), else quoted.
std::string yaml_key(const std::string& key) {
  bool plain = !key.empty() && (std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_');
  for (char c : key) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  if (plain) {
    std::string lower;
    for (char c : key) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (std::string_view word : {"null", "true", "false", "yes", "no", "on", "off", "y", "n"})
      plain = plain && lower != word;
  }
  return plain ? key : yaml_string(key);
}

std::string scalar(const json& v) {
  if (v.is_string()) return yaml_string(v.get_ref<const std::string&>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) {  // 42, 0.25, 1.0e-05: a number to YAML 1.2's core schema and to 1.1 readers,
    std::string n = dump(v);  // which want a '.' before an exponent
    if (v.is_number_float() && n.find('.') == std::string::npos && n.find('e') != std::string::npos)
      n.insert(n.find('e'), ".0");
    return n;
  }
  if (v.is_object()) return "{}";     // only reached when empty
  if (v.is_array()) return "[]";
  return "null";
}

void node(std::string& out, const json& v, int indent, bool inline_first);

/// After "key:" or "-": a non-empty collection starts on the next line (a mapping) or on this
/// one (an item of a sequence), anything else follows on this line.
void value_after(std::string& out, const json& v, int indent, bool in_sequence) {
  bool nested = (v.is_object() || v.is_array()) && !v.empty();
  if (!nested) {
    out += ' ' + scalar(v) + '\n';
  } else if (in_sequence) {
    out += ' ';
    node(out, v, indent, true);
  } else {
    out += '\n';
    node(out, v, indent, false);
  }
}

/// A non-empty mapping or sequence at `indent`; with `inline_first` its first line follows what
/// is already on the current line ("- key: value").
void node(std::string& out, const json& v, int indent, bool inline_first) {
  bool first = true;
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it, first = false) {
      if (!(first && inline_first)) spaces(out, indent);
      out += yaml_key(it.key()) + ':';
      value_after(out, it.value(), indent + 2, false);
    }
  } else {
    for (const json& item : v) {
      if (!(first && inline_first)) spaces(out, indent);
      first = false;
      out += '-';
      value_after(out, item, indent + 2, true);
    }
  }
}

// ---- the configuration page ----

/// The rows of one section: dotted keys ("messages_per_minute.ip", "team[0].email") and their
/// values; a list of plain values on one row.
void flatten(mstch::list& rows, const std::string& path, const json& v) {
  bool plain_list = v.is_array() && !v.empty();
  for (const json& item : v.is_array() ? v : json::array()) plain_list = plain_list && !item.is_structured();
  if (v.is_object() && !v.empty()) {
    for (auto it = v.begin(); it != v.end(); ++it) flatten(rows, path.empty() ? it.key() : path + "." + it.key(), it.value());
    return;
  }
  if (v.is_array() && !v.empty() && !plain_list) {
    for (std::size_t i = 0; i < v.size(); ++i) flatten(rows, path + "[" + std::to_string(i) + "]", v[i]);
    return;
  }
  std::string text;
  if (plain_list) {
    for (const json& item : v) text += (text.empty() ? "" : ", ") + (item.is_string() ? item.get<std::string>() : dump(item));
  } else {
    text = v.is_string() ? v.get<std::string>() : dump(v);
  }
  bool empty = (v.is_string() && text.empty()) || v.is_null() || (v.is_structured() && v.empty());
  rows.push_back(mstch::object{{"key", path.empty() ? std::string("(value)") : path},
                               {"value", empty ? std::string(v.is_null() ? "not set" : "empty") : text},
                               {"empty", empty}});
}

}  // namespace

std::string render_admin_config(const admin_frame& frame, const json& effective_config,
                                const std::vector<std::pair<std::string, bool>>& secrets) {
  mstch::data vars = frame_vars(frame, "Configuration");
  mstch::list secret_rows, sections;
  for (const auto& [name, set] : secrets)
    secret_rows.push_back(mstch::object{{"name", name}, {"set", set}});
  vars.set("has_secrets", !secret_rows.empty());
  vars.set("secrets", secret_rows);
  if (effective_config.is_object()) {
    for (auto it = effective_config.begin(); it != effective_config.end(); ++it) {
      mstch::list rows;
      flatten(rows, "", it.value());
      sections.push_back(mstch::object{{"name", it.key()}, {"rows", rows}});
    }
  }
  vars.set("has_sections", !sections.empty());
  vars.set("sections", sections);
  return render_admin("admin_config.html.mustache", vars);
}

std::string admin_leads_csv(const json& leads) {
  std::string out;
  csv_record(out, {"session_id", "agent", "name", "email", "phone", "company", "outcome", "status", "notes", "summary",
                   "created_utc", "updated_utc", "last_activity_utc"});
  for (const json& r : array_of(leads, "leads")) {
    std::string status = str_of(r, "status");
    csv_record(out, {str_of(r, "session_id"), str_of(r, "agent"), str_of(r, "name"), str_of(r, "email"),
                     str_of(r, "phone"), str_of(r, "company"), str_of(r, "outcome"), status.empty() ? "new" : status,
                     str_of(r, "notes"), str_of(r, "summary"), time_of(r, "created_ms"), time_of(r, "updated_ms"),
                     time_of(r, "last_activity_ms")});
  }
  return out;
}

std::string admin_config_yaml(const json& effective_config) {
  std::string out = "# The effective configuration (secrets are not part of it: they are set in the environment).\n";
  if ((effective_config.is_object() || effective_config.is_array()) && !effective_config.empty())
    node(out, effective_config, 0, false);
  else
    out += scalar(effective_config) + '\n';
  return out;
}

}  // namespace salient
