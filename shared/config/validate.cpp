// The checks of single values (validate.h). Messages name the field and what is allowed, and
// end with the value found, so that a message alone says what to change.
#include "config/validate.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <utility>

#include "salient/core/email_address.h"

namespace salient::detail {
namespace {

std::string join(std::span<const std::string_view> items) {
  std::string out;
  for (std::string_view s : items) out += (out.empty() ? "" : ", ") + std::string(s);
  return out;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

/// Optimal-string-alignment distance (a swap of neighbours costs 1), ignoring ASCII case.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

loc loc::key(std::string_view k) const {
  loc l{pointer + "/", name.empty() ? std::string(k) : name + "." + std::string(k)};
  for (char c : k) {
    if (c == '~') l.pointer += "~0";
    else if (c == '/') l.pointer += "~1";
    else l.pointer += c;
  }
  return l;
}

loc loc::index(std::size_t i) const {
  return {pointer + "/" + std::to_string(i), name + "[" + std::to_string(i) + "]"};
}

std::string in_quotes(std::string_view s) {
  if (s.size() > 60) return dump(json(std::string(s.substr(0, 57)) + "..."));
  return dump(json(std::string(s)));
}

std::string describe(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "a mapping";
    case json::value_t::array: return "a list";
    case json::value_t::string: return in_quotes(j.get_ref<const std::string&>());
    default: return dump(j);
  }
}

// nlohmann's formatter: std::to_chars(double) would pull a large table into the wasm modules.
std::string format_number(double d) {
  std::string s = dump(json(d));
  if (s.ends_with(".0")) s.resize(s.size() - 2);
  return s;
}

std::string suggestion(std::string_view word, std::span<const std::string_view> candidates) {
  if (word.empty() || word.size() > 64) return {};
  std::size_t limit = word.size() <= 4 ? 1 : word.size() <= 8 ? 2 : 3;
  std::string_view best;
  std::size_t best_d = limit + 1;
  for (std::string_view c : candidates) {
    std::size_t d = distance(word, c);
    if (word.size() >= 4 && word.size() < c.size() && distance(word, c.substr(0, word.size())) == 0)
      d = 1;  // a truncated key: "debounce" for "debounce_ms"
    if (d < best_d) best = c, best_d = d;
  }
  return best.empty() ? std::string() : "; did you mean " + in_quotes(best) + "?";
}

bool is_code(std::string_view s, std::size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }));
}

std::optional<std::string> normalise_origin(std::string_view s) {
  std::string o(s);
  std::transform(o.begin(), o.end(), o.begin(), lower);
  std::size_t start = o.starts_with("https://") ? 8 : o.starts_with("http://") ? 7 : 0;
  if (start == 0) return std::nullopt;
  std::string_view rest = std::string_view(o).substr(start);
  std::string_view host = rest, port;
  if (rest.starts_with("[")) {  // IPv6 literal
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos || close == 1) return std::nullopt;
    host = rest.substr(1, close - 1);
    if (!std::all_of(host.begin(), host.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.';
        }))
      return std::nullopt;
    std::string_view after = rest.substr(close + 1);
    if (!after.empty() && !after.starts_with(":")) return std::nullopt;
    port = after.empty() ? after : after.substr(1);
    if (!after.empty() && port.empty()) return std::nullopt;
  } else {
    std::size_t colon = rest.find(':');
    if (colon != std::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
    if (host.empty() || host.front() == '.' || host.back() == '.' || host.find("..") != std::string_view::npos)
      return std::nullopt;
    if (!std::all_of(host.begin(), host.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
        }))
      return std::nullopt;
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.front() == '0' ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    int n = 0;
    std::from_chars(port.data(), port.data() + port.size(), n);
    if (n > 65535) return std::nullopt;
    // Browsers leave the default port out of the Origin header.
    if ((start == 7 && n == 80) || (start == 8 && n == 443)) o.resize(o.size() - port.size() - 1);
  }
  return o;
}

void validator::fail(const loc& at, std::string message) {
  if (!err_) err_ = make_error(errc::misconfigured, std::move(message), at.pointer);
}

const json* validator::section(const json* j, const loc& at, std::span<const std::string_view> keys) {
  if (failed() || !j || j->is_null()) return nullptr;
  if (!j->is_object()) {
    fail(at, at.what() + " must be a mapping, got " + describe(*j));
    return nullptr;
  }
  for (const auto& item : j->items()) {
    const std::string& k = item.key();
    if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
    std::string in = at.name.empty() ? "at the top level" : "in " + at.name;
    std::string hint = suggestion(k, keys);
    if (hint.empty()) hint = " (expected one of: " + join(keys) + ")";
    fail(at.key(k), "unknown key " + in_quotes(k) + " " + in + hint);
    return nullptr;
  }
  return j;
}

void validator::text(const json* obj, std::string_view key, const loc& sec, std::string& out, empty_is empty) {
  const json* v = field(obj, key);
  if (!v) return;
  loc at = sec.key(key);
  if (v->is_null() && empty == empty_is::allowed) {
    out.clear();
    return;
  }
  if (!v->is_string()) {
    std::string hint = (v->is_number() || v->is_boolean()) ? " (in YAML, put it in quotes)" : "";
    return fail(at, at.name + " must be a string, got " + describe(*v) + hint);
  }
  if (v->get_ref<const std::string&>().empty() && empty == empty_is::error)
    return fail(at, at.name + " must not be empty");
  out = v->get_ref<const std::string&>();
}

void validator::code(const json* obj, std::string_view key, const loc& sec, std::size_t max_len, std::string& out) {
  const json* v = field(obj, key);
  if (!v) return;
  loc at = sec.key(key);
  if (!v->is_string() || !is_code(v->get_ref<const std::string&>(), max_len))
    return fail(at, at.name + " must be 1 to " + std::to_string(max_len) + " characters of a-z, 0-9 and \"-\", got " +
                        describe(*v));
  out = v->get_ref<const std::string&>();
}

void validator::choice(const json* obj, std::string_view key, const loc& sec, std::span<const std::string_view> allowed,
                       std::string& out, std::string_view refused, std::string_view why) {
  const json* v = field(obj, key);
  if (!v) return;
  loc at = sec.key(key);
  if (!v->is_string()) return fail(at, at.name + " must be one of " + join(allowed) + ", got " + describe(*v));
  const std::string& s = v->get_ref<const std::string&>();
  if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) {
    out = s;
    return;
  }
  if (!refused.empty() && s == refused)
    return fail(at, at.name + " " + in_quotes(s) + " is not supported yet: " + std::string(why));
  fail(at, at.name + " must be one of " + join(allowed) + ", got " + describe(*v) + suggestion(s, allowed));
}

void validator::integer(const json* obj, std::string_view key, const loc& sec, int lo, int hi, int& out) {
  const json* v = field(obj, key);
  if (!v) return;
  bool in_range = false;
  if (v->is_number_unsigned()) {
    auto n = v->get<std::uint64_t>();
    in_range = n <= static_cast<std::uint64_t>(hi) && static_cast<std::int64_t>(n) >= lo;
  } else if (v->is_number_integer()) {
    auto n = v->get<std::int64_t>();
    in_range = n >= lo && n <= hi;
  }
  loc at = sec.key(key);
  if (!in_range)
    return fail(at, at.name + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
                        ", got " + describe(*v));
  out = static_cast<int>(v->get<std::int64_t>());
}

void validator::number(const json* obj, std::string_view key, const loc& sec, double lo, double hi, double& out) {
  const json* v = field(obj, key);
  if (!v) return;
  double d = v->is_number() ? v->get<double>() : 0.0;
  loc at = sec.key(key);
  if (!v->is_number() || !(d >= lo && d <= hi))
    return fail(at, at.name + " must be a number from " + format_number(lo) + " to " + format_number(hi) +
                        ", got " + describe(*v));
  out = d == 0.0 ? 0.0 : d;  // no -0
}

void validator::flag(const json* obj, std::string_view key, const loc& sec, bool& out) {
  const json* v = field(obj, key);
  if (!v) return;
  loc at = sec.key(key);
  if (!v->is_boolean()) return fail(at, at.name + " must be true or false, got " + describe(*v));
  out = v->get<bool>();
}

void validator::origins(const json* obj, std::string_view key, const loc& sec, std::vector<std::string>& out) {
  const json* j = field(obj, key);
  if (!j || j->is_null()) return;
  loc at = sec.key(key);
  if (!j->is_array()) return fail(at, at.name + " must be a list of origins, got " + describe(*j));
  out.clear();
  for (std::size_t i = 0; i < j->size(); ++i) {
    const json& item = (*j)[i];
    loc ai = at.index(i);
    std::optional<std::string> origin;
    if (item.is_string()) origin = normalise_origin(item.get_ref<const std::string&>());
    if (!origin)
      return fail(ai, ai.name + " must be an origin like \"https://example.com\" or \"http://localhost:4321\" "
                                "(scheme, host and optional port; no path or trailing slash), got " +
                          describe(item));
    if (std::find(out.begin(), out.end(), *origin) != out.end())
      return fail(ai, ai.name + " repeats the origin " + in_quotes(*origin));
    out.push_back(std::move(*origin));
  }
}

void validator::emails(const json* obj, std::string_view key, const loc& sec, std::vector<std::string>& out) {
  const json* j = field(obj, key);
  if (!j || j->is_null()) return;
  loc at = sec.key(key);
  if (!j->is_array()) return fail(at, at.name + " must be a list of email addresses, got " + describe(*j));
  out.clear();
  for (std::size_t i = 0; i < j->size(); ++i) {
    const json& item = (*j)[i];
    loc ai = at.index(i);
    std::optional<std::string> address;
    if (item.is_string()) address = normalize_email(item.get_ref<const std::string&>());
    if (!address) return fail(ai, ai.name + " must be an email address like \"ana@example.com\", got " + describe(item));
    if (std::find(out.begin(), out.end(), *address) != out.end())
      return fail(ai, ai.name + " repeats the address " + in_quotes(*address));
    out.push_back(std::move(*address));
  }
}

void validator::team(const json* obj, std::string_view key, const loc& sec, std::vector<team_member>& out) {
  const json* j = field(obj, key);
  if (!j || j->is_null()) return;
  loc at = sec.key(key);
  if (!j->is_array())
    return fail(at, at.name + " must be a list of people, each {email: ..., name: ...}, got " + describe(*j));
  out.clear();
  for (std::size_t i = 0; i < j->size(); ++i) {
    const json& item = (*j)[i];
    loc ai = at.index(i);
    if (!item.is_object()) return fail(ai, ai.name + " must be a mapping {email: ..., name: ...}, got " + describe(item));
    for (const auto& kv : item.items())
      if (kv.key() != "email" && kv.key() != "name")
        return fail(ai.key(kv.key()), ai.name + " has an unknown key " + in_quotes(kv.key()) + " (only email and name)");
    const json* email = field(&item, "email");
    const json* name = field(&item, "name");
    std::optional<std::string> address;
    if (email && email->is_string()) address = normalize_email(email->get_ref<const std::string&>());
    if (!address)
      return fail(ai.key("email"), ai.name + ".email must be an email address like \"ana@example.com\", got " +
                                       (email ? describe(*email) : std::string("nothing")));
    // The name is what the visitor sees beside the person's replies: plain, short, one line.
    if (!name || !name->is_string() || name->get_ref<const std::string&>().empty() ||
        code_points(name->get_ref<const std::string&>()) > 60 || !is_header_safe(name->get_ref<const std::string&>()))
      return fail(ai.key("name"), ai.name + ".name must be 1 to 60 characters on one line, got " +
                                      (name ? describe(*name) : std::string("nothing")));
    for (const team_member& m : out)
      if (m.email == *address) return fail(ai, ai.name + " repeats the address " + in_quotes(*address));
    out.push_back({std::move(*address), name->get<std::string>()});
  }
}

}  // namespace salient::detail
