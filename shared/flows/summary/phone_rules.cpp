// Phone numbers (found in a line, normalised by the country's table) and the time the visitor
// would like to be called (lead_rules.h).
#include <array>
#include <cstddef>

#include "flows/summary/lead_rules.h"

namespace salient::lead_rules {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_phone_char(char c) { return is_digit(c) || c == ' ' || c == '.' || c == '-' || c == '(' || c == ')'; }

struct country_rule {
  std::string_view iso, code, trunk;
  std::size_t min_digits, max_digits;  // of the national significant number (no trunk prefix)
  bool trunk_optional = false;         // numbers are commonly written without it
};
// The national significant number's lengths, per the ITU's national numbering plans.
constexpr std::array<country_rule, 22> countries = {{
    {"US", "1", "1", 10, 10, true},  {"CA", "1", "1", 10, 10, true}, {"GB", "44", "0", 9, 10},  {"DE", "49", "0", 6, 13},
    {"FR", "33", "0", 9, 9},   {"ES", "34", "", 9, 9},   {"IT", "39", "", 6, 11},   {"NL", "31", "0", 9, 9},
    {"AU", "61", "0", 9, 9},   {"IN", "91", "0", 10, 10, true}, {"BR", "55", "0", 10, 11, true}, {"IE", "353", "0", 7, 9},
    {"PT", "351", "", 9, 9},   {"BE", "32", "0", 8, 9},  {"CH", "41", "0", 9, 9},   {"AT", "43", "0", 6, 13},
    {"SE", "46", "0", 7, 9},   {"MX", "52", "", 10, 10}, {"NZ", "64", "0", 8, 10},  {"JP", "81", "0", 9, 10},
    {"SG", "65", "", 8, 8},    {"ZA", "27", "0", 9, 9},
}};

const country_rule* rule_for(std::string_view iso) {
  std::string upper(iso);
  for (char& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  for (const auto& r : countries)
    if (r.iso == upper) return &r;
  return nullptr;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Words just before a number that make it a reference, not a phone: "order #4815162342".
bool is_reference(std::string_view lower_before) {
  static constexpr std::string_view words[] = {
      "order*", "invoice*", "tracking", "ref", "ref.", "reference", "ticket", "case", "account", "acct",
      "confirmation", "serial", "po", "sku", "receipt", "id", "customer", "booking", "parcel", "shipment",
      "policy", "claim", "iban", "vat", "postcode", "zip", "number", "no", "nr", "model", "part", "item", "budget*", "price*", "cost*", "total", "amount"};
  // "number" and "no" on their own are neutral ("my number is"): they count only after another
  // reference word, which the window below then holds as well.
  for (auto w : words) {
    if (w == "number" || w == "no" || w == "nr") continue;
    if (lead_rules::detail::has_phrase(lower_before, w)) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> normalize_phone(std::string_view written, std::string_view country) {
  std::string_view w = trim(written);
  if (w.empty()) return std::nullopt;
  std::string digits;
  bool plus = w.front() == '+';
  std::string rest(plus ? w.substr(1) : w);
  if (plus) {
    // "+44 (0)20 7946 0958": the national trunk prefix written in brackets after the country code.
    if (auto z = rest.find("(0)"); z != std::string::npos) rest.erase(z, 3);
  }
  for (char c : rest) {
    if (!is_phone_char(c)) return std::nullopt;
    if (is_digit(c)) digits += c;
  }
  if (digits.size() < 7 || digits.size() > 15) return std::nullopt;
  const country_rule* rule = rule_for(country);
  if (!plus && digits.starts_with("00")) plus = true, digits.erase(0, 2);
  else if (!plus && rule && rule->code == "1" && digits.starts_with("011")) plus = true, digits.erase(0, 3);
  if (plus) {
    if (digits.size() < 8 || digits.size() > 15) return std::string(w);
    return "+" + digits;
  }
  if (!rule) return std::string(w);
  std::string national = digits;
  if (!rule->trunk.empty() && national.starts_with(rule->trunk) &&
      national.size() - rule->trunk.size() >= rule->min_digits)
    national.erase(0, rule->trunk.size());
  else if (!rule->trunk.empty() && !rule->trunk_optional)
    return std::string(w);  // a local number without its trunk prefix: no area code, or foreign
  if (national.size() < rule->min_digits || national.size() > rule->max_digits) return std::string(w);
  std::string full = std::string(rule->code) + national;
  if (full.size() < 8 || full.size() > 15) return std::string(w);
  return "+" + full;
}

namespace detail {

std::vector<std::string> find_phones(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    bool starts = is_digit(c) || (c == '+' && i + 1 < text.size() && is_digit(text[i + 1])) ||
                  (c == '(' && i + 1 < text.size() && is_digit(text[i + 1]));
    char before = i > 0 ? text[i - 1] : ' ';
    if (!starts || is_alnum(before) || std::string_view("#$@/_=&+-.,:").find(before) != std::string_view::npos ||
        static_cast<unsigned char>(before) >= 0x80) {
      // Not at a word's start ("1Z999AA…", "€1200", "v2.0"): skip the rest of this word.
      ++i;
      while (i < text.size() && (is_alnum(text[i]) || text[i] == '-' || text[i] == '.') && starts) ++i;
      continue;
    }
    std::size_t b = i, e = i + 1;
    while (e < text.size() && is_phone_char(text[e]) && !(text[e] == ' ' && e + 1 < text.size() && text[e + 1] == ' ')) ++e;
    // A last group glued to letters ("5pm") is not part of the number.
    if (e < text.size() && (is_alnum(text[e]) || static_cast<unsigned char>(text[e]) >= 0x80 || text[e] == '@')) {
      while (e > b && is_phone_char(text[e - 1]) && text[e - 1] != ' ') --e;
      if (e == b) {
        i = b + 1;
        while (i < text.size() && is_alnum(text[i])) ++i;
        continue;
      }
    }
    while (e > b && !is_digit(text[e - 1])) --e;
    if (e < text.size() && text[e] == ')') ++e;
    i = e > b ? e : b + 1;
    std::string_view written = text.substr(b, e - b);
    std::size_t ndigits = 0;
    for (char d : written) ndigits += is_digit(d);
    if (ndigits < 7 || ndigits > 15) continue;
    // "1.500.000" and "1,200,000": an amount, every group after the first of three digits.
    bool amount = true;
    std::size_t groups = 0;
    for (std::size_t g = written.find_first_of(".,"); g != std::string_view::npos; g = written.find_first_of(".,", g + 1), ++groups)
      amount = amount && g + 4 <= written.size() && written.substr(g + 1, 3).find_first_not_of("0123456789") == std::string_view::npos &&
               (g + 4 == written.size() || written[g + 4] == written[g]);
    if (amount && groups >= 2 && written.find_first_of(" -()") == std::string_view::npos) continue;
    // "2024-05-12" and "2024-00123" style: a year, a dash, then digits.
    if (written.size() >= 5 && written[4] == '-' && (written.starts_with("19") || written.starts_with("20"))) continue;
    std::size_t window = b > 32 ? b - 32 : 0;
    std::string before_text = lower_ascii(text.substr(window, b - window));
    if (auto cut = before_text.find_last_of(".!?;\n"); cut != std::string::npos && cut + 1 < before_text.size() &&
                                                         before_text[cut + 1] == ' ')
      before_text.erase(0, cut + 1);
    if (is_reference(before_text)) continue;
    out.emplace_back(written);
  }
  return out;
}

std::string find_preferred_time(std::string_view text) {
  std::string l = lower_ascii(text);
  static constexpr std::string_view times[] = {
      "morning*", "afternoon*", "evening*", "tonight", "today", "tomorrow", "noon", "midday", "lunchtime",
      "weekday*", "weekend*", "monday*", "tuesday*", "wednesday*", "thursday*", "friday*", "saturday*", "sunday*"};
  static constexpr std::string_view preps[] = {"after", "before", "between", "around", "at", "by", "from", "until", "till", "in", "on", "any", "this", "next"};
  // Words with their offsets; a number is a time when a preposition or am/pm is next to it.
  struct span { std::size_t b, e; };
  std::vector<span> ws;
  for (std::size_t i = 0; i < l.size();) {
    while (i < l.size() && !(is_alnum(l[i]) || l[i] == ':' || l[i] == '\'')) ++i;
    std::size_t b = i;
    while (i < l.size() && (is_alnum(l[i]) || l[i] == ':' || l[i] == '\'')) ++i;
    if (i > b) ws.push_back({b, i});
  }
  auto word = [&](std::size_t k) { return std::string_view(l).substr(ws[k].b, ws[k].e - ws[k].b); };
  auto is_prep = [&](std::size_t k) {
    for (auto p : preps)
      if (word(k) == p) return true;
    return false;
  };
  auto is_time = [&](std::size_t k) {
    std::string_view w = word(k);
    for (auto t : times)
      if (has_phrase(w, t)) return true;
    // "am", "pm" and "o'clock" alone only after a number ("5 pm"): "I am Ana" says no time.
    if (w.empty() || !is_digit(w[0]))
      return (w == "am" || w == "pm" || w == "o'clock") && k > 0 && is_digit(word(k - 1).front());
    std::size_t d = 0;
    while (d < w.size() && (is_digit(w[d]) || w[d] == ':')) ++d;
    std::string_view suffix = w.substr(d);
    // "5", "10", "10:30": an hour, not a phone number's group ("020").
    std::string_view clock = w.substr(0, d);
    bool colon = clock.find(':') != std::string_view::npos;
    if (colon ? d > 5 : (d > 2 || clock[0] == '0')) return false;
    if (suffix == "am" || suffix == "pm" || suffix == "h") return true;
    if (!suffix.empty()) return false;
    bool after_prep = k > 0 && is_prep(k - 1) && word(k - 1) != "in";
    bool before_ampm = k + 1 < ws.size() && (word(k + 1) == "am" || word(k + 1) == "pm" || word(k + 1) == "o'clock");
    return after_prep || before_ampm || colon;
  };
  std::size_t first = ws.size(), last = 0;
  for (std::size_t k = 0; k < ws.size(); ++k) {
    if (!is_time(k)) continue;
    // The same clause only: a sentence's end between two times starts again.
    if (first != ws.size() && l.substr(ws[last].e, ws[k].b - ws[last].e).find_first_of(".!?;\n") != std::string::npos) break;
    if (first == ws.size()) first = k;
    last = k;
  }
  if (first == ws.size()) return {};
  while (first > 0 && is_prep(first - 1)) --first;
  return std::string(text.substr(ws[first].b, ws[last].e - ws[first].b));
}

}  // namespace detail
}  // namespace salient::lead_rules
