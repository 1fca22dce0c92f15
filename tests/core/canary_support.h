#pragma once
// What the canary filter's two test files share: a run of the filter over pieces of text, and
// the ways they write a marker (byte by byte, spread, upper case).
#include <string>
#include <vector>

#include "flows/stream/canary_filter.h"

namespace canary_test {

inline const std::string secret = "test-secret-0123456789abcdef0123456789";

/// Feeds `pieces` one after the other and finishes: everything returned, in order.
struct run_result {
  std::string out;
  bool blocked = false;
  std::vector<std::string> returned;  // each non-empty piece returned, for the UTF-8 checks
};
inline run_result run(const std::string& canary, const std::vector<std::string>& pieces) {
  salient::canary_filter f(canary);
  run_result r;
  for (const std::string& p : pieces) {
    std::string got(f.feed(p));
    if (!got.empty()) r.returned.push_back(got);
    r.out += got;
  }
  std::string rest(f.finish());
  if (!rest.empty()) r.returned.push_back(rest);
  r.out += rest;
  r.blocked = f.blocked();
  return r;
}

inline std::vector<std::string> bytes_of(const std::string& s) {
  std::vector<std::string> out;
  for (char c : s) out.emplace_back(1, c);
  return out;
}

/// `s` with `between` inserted between every two characters.
inline std::string spread(const std::string& s, const std::string& between) {
  std::string out;
  for (char c : s) {
    if (!out.empty()) out += between;
    out += c;
  }
  return out;
}

inline std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

}  // namespace canary_test
