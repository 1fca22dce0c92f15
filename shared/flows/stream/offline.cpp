#include "salient/flows/stream/offline.h"

#include <array>
#include <string>
#include <vector>

namespace salient {
namespace {

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  for (char c : text) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
    if (alnum) {
      cur.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c);
    } else if (!cur.empty()) {
      words.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

template <std::size_t N>
bool has_word(const std::vector<std::string>& words, const std::array<std::string_view, N>& set) {
  for (const auto& w : words)
    for (auto s : set)
      if (w == s) return true;
  return false;
}

bool has_pair(const std::vector<std::string>& words, std::string_view a, std::string_view b) {
  for (std::size_t i = 0; i + 1 < words.size(); ++i)
    if (words[i] == a && words[i + 1] == b) return true;
  return false;
}

constexpr std::array<std::string_view, 9> human_words = {"human",    "person",   "someone", "representative", "operator",
                                                         "salesperson", "staff", "manager", "agent"};
constexpr std::array<std::string_view, 12> contact_words = {"contact", "email", "mail",  "phone",    "telephone", "call",
                                                            "address", "reach", "hours", "location", "directions", "visit"};
constexpr std::array<std::string_view, 13> pricing_words = {"price", "prices", "pricing", "cost",   "costs", "quote", "quotes",
                                                            "rate",  "rates",  "fee",     "fees", "expensive", "cheap"};
constexpr std::array<std::string_view, 8> greeting_words = {"hi",      "hello",   "hey",       "hiya",
                                                            "howdy",   "greetings", "morning", "evening"};

}  // namespace

offline_intent classify_offline(std::string_view message) {
  auto words = words_of(message);
  if (has_word(words, human_words) || has_pair(words, "talk", "to") || has_pair(words, "speak", "to") ||
      has_pair(words, "speak", "with") || has_pair(words, "real", "person"))
    return offline_intent::human;
  if (has_word(words, contact_words)) return offline_intent::contact;
  if (has_word(words, pricing_words) || has_pair(words, "how", "much")) return offline_intent::pricing;
  if (has_word(words, greeting_words) || has_pair(words, "good", "afternoon")) return offline_intent::greeting;
  return offline_intent::unknown;
}

bool asks_for_a_person(std::string_view message) {
  // Starting a handoff emails the team, so this is stricter than the canned answer's intent:
  // "can someone quote it?" or "is your staff trained?" is a question, not a request for a person.
  constexpr std::array<std::string_view, 5> unmistakable = {"human", "representative", "operator", "salesperson",
                                                            "humans"};
  constexpr std::array<std::string_view, 10> people = {"someone", "somebody", "person", "people", "agent",
                                                       "staff",   "manager",  "team",   "human",  "representative"};
  auto words = words_of(message);
  if (has_word(words, unmistakable) || has_pair(words, "real", "person")) return true;
  bool to_talk = false;
  for (std::string_view verb : {"talk", "speak", "chat"})
    to_talk = to_talk || has_pair(words, verb, "to") || has_pair(words, verb, "with");
  return to_talk && has_word(words, people);
}

const char* intent_name(offline_intent intent) {
  switch (intent) {
    case offline_intent::greeting: return "greeting";
    case offline_intent::pricing: return "pricing";
    case offline_intent::contact: return "contact";
    case offline_intent::human: return "human";
    case offline_intent::unknown: return "unknown";
  }
  return "unknown";
}

const std::string& offline_answer(const offline_answers& answers, offline_intent intent) {
  switch (intent) {
    case offline_intent::greeting: return answers.greeting;
    case offline_intent::pricing: return answers.pricing;
    case offline_intent::contact: return answers.contact;
    case offline_intent::human: return answers.human;
    case offline_intent::unknown: return answers.fallback;
  }
  return answers.fallback;
}

}  // namespace salient
