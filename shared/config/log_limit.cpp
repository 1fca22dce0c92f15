// logging.rotation and logging.retention. In salient.yaml they are written as loguru writes
// them, "<n> <unit>"; the compiled JSON holds them as {"bytes": N}, {"seconds": N} or
// {"files": N}, which the dev server's logger reads without parsing text. Both forms are
// accepted here, because the functions and `salient config compile` read the compiled JSON again.
//   rotation   "<n> KB|MB|GB" (1 KB = 1024 bytes): rotate before the file passes that size;
//              "<n> minute(s)|hour(s)|day(s)|week(s)": rotate when the file is that old.
//   retention  "<n> minute(s)|hour(s)|day(s)|week(s)": delete rotated files older than that;
//              "<n> file(s)": keep that many rotated files.
// Units are case-insensitive; <n> is a whole number, and the result must lie within the bounds
// below (a 0-byte or 50-year limit is a typo, not a policy).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/validate.h"

namespace salient::detail {
namespace {

struct unit_word {
  std::string_view word;  // lower case
  log_unit unit;
  std::int64_t factor;
};

constexpr std::array<unit_word, 3> size_words = {{
    {"kb", log_unit::bytes, 1024}, {"mb", log_unit::bytes, 1024 * 1024}, {"gb", log_unit::bytes, 1024 * 1024 * 1024}}};
constexpr std::array<unit_word, 8> age_words = {{{"minute", log_unit::seconds, 60},
                                                 {"minutes", log_unit::seconds, 60},
                                                 {"hour", log_unit::seconds, 3600},
                                                 {"hours", log_unit::seconds, 3600},
                                                 {"day", log_unit::seconds, 86400},
                                                 {"days", log_unit::seconds, 86400},
                                                 {"week", log_unit::seconds, 604800},
                                                 {"weeks", log_unit::seconds, 604800}}};
constexpr std::array<unit_word, 2> file_words = {{{"file", log_unit::files, 1}, {"files", log_unit::files, 1}}};

struct bounds {
  log_unit unit;
  std::string_view key;  // of the compiled form
  std::int64_t lo, hi;
  std::string_view range;  // for people
};
constexpr bounds size_bounds{log_unit::bytes, "bytes", 1024, 1024LL * 1024 * 1024 * 1024, "from 1 KB to 1024 GB"};
constexpr bounds age_bounds{log_unit::seconds, "seconds", 60, 3650LL * 86400, "from 1 minute to 3650 days"};
constexpr bounds file_bounds{log_unit::files, "files", 1, 10000, "from 1 to 10000 files"};

const bounds& bounds_of(log_unit u) {
  return u == log_unit::bytes ? size_bounds : u == log_unit::seconds ? age_bounds : file_bounds;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

enum class verdict { malformed, out_of_range, ok };

/// "<n> <unit>" with a unit of `rotation`'s or retention's words.
verdict parse_text(std::string_view s, bool rotation, log_limit& out) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  std::size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0) return verdict::malformed;
  // Nine digits keep n × 1 GB within int64; a longer number is out of every range anyway.
  std::int64_t n = 0;
  for (std::size_t i = 0; i < digits && i < 9; ++i) n = n * 10 + (s[i] - '0');
  std::string_view rest = s.substr(digits);
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  std::string word(rest);
  for (char& c : word) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  const unit_word* found = nullptr;
  auto look = [&](const auto& words) {
    for (const unit_word& w : words)
      if (w.word == word) found = &w;
  };
  look(age_words);
  if (rotation) look(size_words);
  else look(file_words);
  if (!found) return verdict::malformed;
  const bounds& b = bounds_of(found->unit);
  out = {found->unit, n * found->factor};
  if (digits > 9 || out.amount < b.lo || out.amount > b.hi) return verdict::out_of_range;
  return verdict::ok;
}

std::string forms(bool rotation) {
  return rotation ? R"(a size, "<n> KB|MB|GB" (1 KB = 1024 bytes), or the age at which the file is rotated, )"
                    R"("<n> minutes|hours|days|weeks")"
                  : R"(the age at which rotated files are deleted, "<n> minutes|hours|days|weeks", or how many )"
                    R"(are kept, "<n> files")";
}

}  // namespace

void validator::log_limit_value(const json* obj, std::string_view key, const loc& sec, bool rotation, log_limit& out) {
  const json* v = field(obj, key);
  if (!v) return;
  loc at = sec.key(key);
  if (v->is_string()) {
    log_limit parsed;
    switch (parse_text(v->get_ref<const std::string&>(), rotation, parsed)) {
      case verdict::ok: out = parsed; return;
      case verdict::out_of_range:
        return fail(at, at.name + " must be " + std::string(bounds_of(parsed.unit).range) + ", got " + describe(*v));
      case verdict::malformed: break;
    }
    return fail(at, at.name + " must be " + forms(rotation) + ", with <n> a whole number, got " + describe(*v));
  }
  // The compiled form: one member, its unit's amount.
  if (v->is_object() && v->size() == 1) {
    const std::string& k = v->items().begin().key();
    for (const bounds* b : {&size_bounds, &age_bounds, &file_bounds}) {
      if (k != b->key || (b == &size_bounds && !rotation) || (b == &file_bounds && rotation)) continue;
      const json& n = v->begin().value();
      if (!n.is_number_integer() || n.get<std::int64_t>() < b->lo || n.get<std::int64_t>() > b->hi) {
        loc nat = at.key(k);
        return fail(nat, nat.name + " must be an integer from " + std::to_string(b->lo) + " to " +
                             std::to_string(b->hi) + ", got " + describe(n));
      }
      out = {b->unit, n.get<std::int64_t>()};
      return;
    }
  }
  std::string compiled = rotation ? R"({"bytes": N} or {"seconds": N})" : R"({"seconds": N} or {"files": N})";
  fail(at, at.name + " must be " + forms(rotation) + " (compiled: " + compiled + "), got " + describe(*v));
}

std::string format_log_limit(const log_limit& l) {
  struct named {
    std::int64_t factor;
    std::string_view one, many;
  };
  constexpr std::array<named, 4> sizes = {{{1024LL * 1024 * 1024, "GB", "GB"}, {1024 * 1024, "MB", "MB"},
                                           {1024, "KB", "KB"}, {1, "byte", "bytes"}}};
  constexpr std::array<named, 4> ages = {
      {{86400, "day", "days"}, {3600, "hour", "hours"}, {60, "minute", "minutes"}, {1, "second", "seconds"}}};
  constexpr std::array<named, 1> count = {{{1, "file", "files"}}};
  auto pick = [&](const auto& units) {
    for (const named& u : units) {
      if (l.amount % u.factor != 0) continue;
      std::int64_t n = l.amount / u.factor;
      return std::to_string(n) + " " + std::string(n == 1 ? u.one : u.many);
    }
    return std::to_string(l.amount);
  };
  return l.unit == log_unit::bytes ? pick(sizes) : l.unit == log_unit::seconds ? pick(ages) : pick(count);
}

}  // namespace salient::detail
