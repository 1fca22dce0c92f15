// The visitor's email address and name, read from one line at a time (lead_rules.h).
#include <array>
#include <cstddef>

#include "flows/summary/lead_rules.h"
#include "salient/core/email_address.h"

namespace salient::lead_rules::detail {
namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
// A word character for boundaries: ASCII letters and digits, and any UTF-8 byte (letters of
// other scripts, "José").
bool is_word(char c) { return is_alnum(c) || static_cast<unsigned char>(c) >= 0x80; }
bool is_local_char(char c) { return is_alnum(c) || std::string_view(".!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos; }
bool is_domain_char(char c) { return is_alnum(c) || c == '.' || c == '-'; }

// The bracketed spellings of '@' and '.' are unambiguous: replaced wherever they are, with the
// spaces around them.
constexpr std::array<std::string_view, 4> at_marks = {"[at]", "(at)", "{at}", "<at>"};
constexpr std::array<std::string_view, 4> dot_marks = {"[dot]", "(dot)", "{dot}", "<dot>"};

std::string replace_marks(std::string_view text) {
  std::string lower = lower_ascii(text), out;
  for (std::size_t i = 0; i < text.size();) {
    char put = 0;
    std::size_t len = 0;
    for (auto m : at_marks)
      if (lower.compare(i, m.size(), m) == 0) put = '@', len = m.size();
    for (auto m : dot_marks)
      if (lower.compare(i, m.size(), m) == 0) put = '.', len = m.size();
    if (!put) {
      out += text[i++];
      continue;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += put;
    i += len;
    while (i < text.size() && text[i] == ' ') ++i;
  }
  return out;
}

// Words before a bare " at " that are not a local part: "reach me at", "I'm at".
bool not_a_local_part(std::string_view w) {
  static constexpr std::string_view words[] = {
      "me", "us", "i'm", "im", "is", "am", "are", "be", "here", "there", "reached", "email", "mail", "write", "contact", "available"};
  std::string l = lower_ascii(w);
  for (auto x : words)
    if (l == x) return true;
  return false;
}

bool all_of(std::string_view s, bool (*f)(char)) {
  if (s.empty()) return false;
  for (char c : s)
    if (!f(c)) return false;
  return true;
}

// "ana at example dot com" → "ana@example.com": a bare "at" between a local part and a domain
// with at least one dot (spelled "dot" or written).
std::string replace_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::vector<std::string_view> gaps;  // gaps[i] precedes words[i]
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t g = i;
    while (i < text.size() && is_space(text[i])) ++i;
    gaps.push_back(text.substr(g, i - g));
    std::size_t w = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    words.push_back(text.substr(w, i - w));
  }
  std::string out;
  for (std::size_t k = 0; k < words.size(); ++k) {
    bool joined = false;
    if (k > 0 && k + 1 < words.size() && lower_ascii(words[k]) == "at" && all_of(words[k - 1], is_local_char) &&
        !not_a_local_part(words[k - 1])) {
      std::string domain;
      std::size_t j = k + 1;
      std::string_view label = words[j];
      std::string_view tail;
      while (!label.empty() && !is_alnum(label.back())) tail = label.substr(label.size() - 1), label.remove_suffix(1);
      if (all_of(label, is_domain_char)) {
        domain = std::string(label);
        while (tail.empty() && j + 2 < words.size() && lower_ascii(words[j + 1]) == "dot") {
          std::string_view next = words[j + 2];
          std::string_view next_tail;
          while (!next.empty() && !is_alnum(next.back())) next_tail = next.substr(next.size() - 1), next.remove_suffix(1);
          if (!all_of(next, is_domain_char)) break;
          domain += "." + std::string(next);
          tail = next_tail;
          j += 2;
        }
      }
      if (domain.find('.') != std::string::npos) {
        out += '@' + domain + std::string(tail);
        k = j;
        joined = true;
      }
    }
    // Joined: the local part was written already, and "at" and the domain replace what follows.
    if (joined) continue;
    out += std::string(gaps[k]);
    out += std::string(words[k]);
  }
  return out;
}

// "my email is" / "reach me at": the clause before an address says whose it is.
bool says_own(std::string_view clause) {
  return !first_phrase(clause, {"my email", "my e-mail", "my mail", "my address", "my work email", "my personal email",
                                "reach me", "email me", "e-mail me", "mail me", "write me", "write to me", "contact me",
                                "i'm at", "im at", "i am at", "me at", "mine is", "send it to me", "use"})
              .empty();
}
bool says_someone_else(std::string_view clause) {
  return !first_phrase(clause, {"colleague*", "coworker*", "co-worker*", "assistant*", "boss*", "manager*", "partner*",
                                "secretary*", "wife*", "husband*", "cc", "copy in", "his", "her", "their", "also write",
                                "also email", "also contact", "team*", "accountant*", "office manager"})
              .empty();
}

bool is_name_word(std::string_view w) {
  if (w.empty() || !is_word(w[0]) || (w[0] >= '0' && w[0] <= '9')) return false;
  for (char c : w)
    if (!(is_word(c) || c == '-' || c == '\'') || (c >= '0' && c <= '9')) return false;
  return true;
}
bool capitalised(std::string_view w) { return !w.empty() && w[0] >= 'A' && w[0] <= 'Z'; }

// Words after "I'm" that are not a name: "I'm interested", "I'm based in …".
bool is_stop_word(std::string_view w) {
  static constexpr std::string_view words[] = {"i'm", "im", "i\u2019m", 
      "interested", "looking", "not", "sure", "happy", "based", "from", "in", "at", "a", "an", "the", "just", "also",
      "so", "very", "really", "trying", "wondering", "calling", "writing", "reaching", "here", "good", "fine", "ok",
      "okay", "glad", "new", "still", "currently", "going", "having", "getting", "unable", "sorry", "afraid",
      "available", "free", "busy", "on", "with", "after", "before", "hoping", "planning", "thinking", "asking",
      "curious", "your", "ready", "done", "back", "over", "about", "contacting", "tired", "frustrated", "confused",
      "considering", "moving", "and", "or", "but", "a", "to", "for", "my", "our", "urgent", "regarding", "well",
      "great", "hi", "hello", "hey", "thanks", "thank", "yes", "no", "it", "this", "that", "we", "i", "you", "only",
      "probably", "definitely", "always", "told", "waiting", "annoyed", "disappointed"};
  std::string l = lower_ascii(w);
  for (auto x : words)
    if (l == x) return true;
  for (std::string_view suffix : {"ing", "ed", "ly", "ful", "ous", "ive", "able"})
    if (!capitalised(w) && l.size() > suffix.size() + 1 && l.ends_with(suffix)) return true;
  return false;
}

std::string capitalise(std::string_view w) {
  std::string s(w);
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

struct word {
  std::string_view text;  // punctuation around it stripped
  bool ends_clause;       // a ',', '.', '!', '?' or ';' follows it
};
std::vector<word> split_words(std::string_view text) {
  std::vector<word> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    std::size_t b = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    std::string_view w = text.substr(b, i - b);
    while (!w.empty() && !is_word(w.front())) w.remove_prefix(1);
    bool ends = false;
    while (!w.empty() && !is_word(w.back())) ends = ends || std::string_view(",.!?;:").find(w.back()) != std::string_view::npos, w.remove_suffix(1);
    if (!w.empty()) out.push_back({w, ends});
    else if (!out.empty() && b < i) out.back().ends_clause = true;
  }
  return out;
}

// The company after "from" / "at": capitalised words, or any words up to the clause's end.
std::string company_from(const std::vector<word>& ws, std::size_t k) {
  std::string out;
  for (std::size_t n = 0; k < ws.size() && n < 4; ++k, ++n) {
    std::string l = lower_ascii(ws[k].text);
    if (l == "here" || l == "and" || l == "we" || l == "i" || l == "i'm" || l == "looking" || l == "in" || l == "with") break;
    if (!out.empty()) out += ' ';
    out += ws[k].text;
    if (ws[k].ends_clause) break;
  }
  return out;
}

// Takes a name at ws[k] (one or two words); `strict` demands a capital letter.
bool take_name(const std::vector<word>& ws, std::size_t k, bool strict, name_found& out) {
  if (k >= ws.size() || !is_name_word(ws[k].text) || is_stop_word(ws[k].text)) return false;
  if (strict && !capitalised(ws[k].text)) return false;
  out.name = capitalise(ws[k].text);
  std::size_t next = k + 1;
  if (!ws[k].ends_clause && next < ws.size() && capitalised(ws[next].text) && is_name_word(ws[next].text) &&
      !is_stop_word(ws[next].text) && lower_ascii(ws[next].text) != "i")
    out.name += ' ' + std::string(ws[next].text), ++next;
  if (next + 1 < ws.size() && !ws[next - 1].ends_clause && lower_ascii(ws[next].text) == "from")
    out.company = company_from(ws, next + 1);
  return true;
}

}  // namespace

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool has_phrase(std::string_view text, std::string_view phrase) {
  bool prefix = phrase.ends_with('*');
  if (prefix) phrase.remove_suffix(1);
  if (phrase.empty()) return false;
  for (std::size_t at = text.find(phrase); at != std::string_view::npos; at = text.find(phrase, at + 1)) {
    std::size_t end = at + phrase.size();
    bool left = at == 0 || !is_word(text[at - 1]) || !is_word(phrase.front());
    bool right = prefix || end == text.size() || !is_word(text[end]) || !is_word(phrase.back());
    if (left && right) return true;
  }
  return false;
}

std::string_view first_phrase(std::string_view text, const std::vector<std::string_view>& phrases) {
  for (auto p : phrases)
    if (has_phrase(text, p)) return p;
  return {};
}

std::vector<email_found> find_emails(std::string_view text) {
  std::string plain = replace_words(replace_marks(text));
  std::vector<email_found> out;
  std::size_t clause_start = 0;
  for (std::size_t at = plain.find('@'); at != std::string::npos; at = plain.find('@', at + 1)) {
    std::size_t b = at, e = at + 1;
    while (b > clause_start && is_local_char(plain[b - 1])) --b;
    while (e < plain.size() && is_domain_char(plain[e])) ++e;
    while (b < at && (plain[b] == '.' || plain[b] == '\'')) ++b;
    while (e > at + 1 && (plain[e - 1] == '.' || plain[e - 1] == '-')) --e;
    auto address = normalize_email(std::string_view(plain).substr(b, e - b));
    if (!address) continue;
    // The clause that introduces it: from the last sentence or list boundary, or the last address.
    std::size_t c = b;
    while (c > clause_start && !(std::string_view(",;!?\n").find(plain[c - 1]) != std::string_view::npos ||
                                 (plain[c - 1] == '.' && (c == b || is_space(plain[c])))))
      --c;
    std::string clause = lower_ascii(std::string_view(plain).substr(c, b - c));
    email_found f{*address, false, false};
    f.someone_else = says_someone_else(clause);
    f.own = !f.someone_else && says_own(clause);
    out.push_back(std::move(f));
    clause_start = e;
    at = e - 1;
  }
  return out;
}

name_found find_name(std::string_view text) {
  auto ws = split_words(text);
  name_found out;
  bool named = false;
  for (std::size_t k = 0; k < ws.size(); ++k) {
    std::string l = lower_ascii(ws[k].text);
    std::string next = k + 1 < ws.size() ? lower_ascii(ws[k + 1].text) : "";
    name_found n;
    std::string prev = k > 0 ? lower_ascii(ws[k - 1].text) : "";
    bool i_work = (l == "work" && (prev == "i" || prev == "we")) || (l == "working" && (prev == "i'm" || prev == "am"));
    if (i_work && (next == "at" || next == "for")) {
      if (out.company.empty()) out.company = company_from(ws, k + 2);
      continue;
    }
    if (l == "company" && next == "is") {
      if (out.company.empty()) out.company = company_from(ws, k + 2);
      continue;
    }
    if (named) continue;
    if (l == "my" && next == "name") {
      std::size_t at = k + 2;
      if (at < ws.size() && lower_ascii(ws[at].text) == "is") ++at;
      named = !ws[k + 1].ends_clause && take_name(ws, at, false, n);
    } else if (l == "my" && next == "name's") {
      named = take_name(ws, k + 2, false, n);
    } else if ((l == "i'm" || l == "i\u2019m" || l == "im") && !ws[k].ends_clause) {
      named = take_name(ws, k + 1, l == "im", n);
    } else if (l == "i" && next == "am" && !ws[k + 1].ends_clause) {
      named = take_name(ws, k + 2, false, n);
    } else if (l == "this" && next == "is") {
      // "this is urgent" is no name: a lower-case one needs "from" after it.
      bool from = k + 3 < ws.size() && lower_ascii(ws[k + 3].text) == "from";
      named = take_name(ws, k + 2, !from, n);
    } else if (l == "here" && k >= 1) {
      // "Ana here" / "Ana from Acme here", at the start of the message or after a greeting.
      std::size_t f = k;
      for (std::size_t j = 0; j < k; ++j)
        if (lower_ascii(ws[j].text) == "from") f = j;
      if (f == 0) continue;
      std::size_t at = f - 1;
      if (f != k && at >= 1 && capitalised(ws[at - 1].text) && !ws[at - 1].ends_clause && is_name_word(ws[at - 1].text) &&
          !is_stop_word(ws[at - 1].text))
        --at;
      bool at_start = at == 0 || (at == 1 && !first_phrase(lower_ascii(ws[0].text), {"hi", "hello", "hey", "ok", "okay", "hiya"}).empty());
      named = at_start && take_name(ws, at, true, n);
      if (named && f != k) {
        std::vector<word> rest(ws.begin() + static_cast<std::ptrdiff_t>(f + 1), ws.begin() + static_cast<std::ptrdiff_t>(k));
        n.company = company_from(rest, 0);
      }
    }
    if (named) {
      out.name = n.name;
      if (!n.company.empty()) out.company = n.company;
    }
  }
  return out;
}

}  // namespace salient::lead_rules::detail
