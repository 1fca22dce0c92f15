#pragma once
// Samples shared by the lead tests (lead_model.test.cpp, summarize.test.cpp): a conversation
// with the business's own contacts quoted, the business's context, a valid model answer, and the
// committed transcripts (lead_rules.test.cpp too).
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flows/summary/lead_rules.h"

namespace salient::testing {

/// tests/fixtures/transcripts/*.json, in name order.
inline std::vector<std::filesystem::path> transcript_fixtures() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(SALIENT_TRANSCRIPTS_DIR))
    if (e.path().extension() == ".json") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

/// A fixture's list of strings (empty when absent).
inline std::vector<std::string> strings_of(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key))
    for (const auto& s : j[key]) out.push_back(s.get<std::string>());
  return out;
}

/// A complete, valid lead object; `overrides` replace its members.
inline nlohmann::json lead_answer(nlohmann::json overrides = nlohmann::json::object()) {
  nlohmann::json a = {{"summary", "Ana wants a quote for a 3 bedroom house clean."},
                    {"needs", {"a deep clean"}},
                    {"interests", {"house cleaning"}},
                    {"name", "Ana"},
                    {"email", nullptr},
                    {"phone", nullptr},
                    {"company", nullptr},
                    {"address", nullptr},
                    {"preferred_time", nullptr},
                    {"language", "en"},
                    {"outcome", "LEAD"},
                    {"evidence", nlohmann::json::array()},
                    {"next_step", "Send Ana the quote."}};
  a.update(overrides);
  return a;
}

/// A quote request with a call-me number, the business's own address and number quoted too.
inline const std::vector<lead_rules::transcript_line> quote_chat = {
    {"assistant", "Hi! Write to hello@brightleaf.example or call +1 415 555 0100 any time."},
    {"user", "hi, how much would a 3 bedroom   house clean cost?"},
    {"assistant", "Our deep clean for 3 bedrooms starts at $240."},
    {"user", "ok. my email is Ana.Lima@Example.com, or call me on (415) 555-0199. I already wrote to hello@brightleaf.example"}};

/// The business of quote_chat.
inline lead_rules::rules_context shop() { return {"US", {"hello@brightleaf.example"}, {"+1 415 555 0100"}}; }

}  // namespace salient::testing
