// The rules path of summaries: every transcript in tests/fixtures/transcripts/ against its
// expected lead card, and normalize_phone's country table case by case.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "flows/summary/lead_rules.h"
#include "lead_samples.h"
#include "salient/core/email_address.h"

using namespace salient::lead_rules;
using nlohmann::json;

namespace {

lead_card one(std::vector<transcript_line> t, std::string country = "") {
  return extract(t, rules_context{std::move(country), {}, {}});
}

}  // namespace

TEST_CASE("lead rules: every committed transcript gives its expected card", "[lead_rules]") {
  auto files = salient::testing::transcript_fixtures();
  REQUIRE(files.size() >= 20);
  for (const auto& path : files) {
    std::ifstream in(path);
    std::stringstream buf;
    buf << in.rdbuf();
    json f = json::parse(buf.str());
    rules_context ctx{f.value("country", ""), salient::testing::strings_of(f, "business_emails"),
                    salient::testing::strings_of(f, "business_phones")};
    std::vector<transcript_line> t;
    for (const auto& l : f["transcript"]) t.push_back({l["role"].get<std::string>(), l["text"].get<std::string>()});
    lead_card card = extract(t, ctx);
    const json& expect = f["expect"];
    INFO(path.filename().string());
    for (const char* key : {"name", "email", "phone", "company", "outcome", "preferred_time"}) {
      std::string got = key == std::string("name") ? card.name : key == std::string("email") ? card.email
                      : key == std::string("phone") ? card.phone : key == std::string("company") ? card.company
                      : key == std::string("outcome") ? card.outcome : card.preferred_time;
      INFO(key);
      if (key == std::string("preferred_time") && !expect.contains(key)) continue;  // checked only when given
      CHECK(got == expect.value(key, std::string()));
    }
    // The evidence is the visitor's own lines, verbatim.
    for (const auto& e : card.evidence) {
      bool found = false;
      for (const auto& l : t) found = found || (l.role == "user" && l.text == e);
      CHECK(found);
    }
    CHECK(card.evidence.empty() == (card.outcome == "INFO_ONLY"));
    CHECK(card.summary.starts_with("Visitor opened with: "));
  }
}

TEST_CASE("lead rules: normalize_phone writes international numbers as +digits", "[lead_rules]") {
  CHECK(normalize_phone("+44 20 7946 0958", "") == "+442079460958");
  CHECK(normalize_phone("  +1 (415) 555-0100 ", "DE") == "+14155550100");
  CHECK(normalize_phone("+44 (0)20 7946 0958", "GB") == "+442079460958");
  CHECK(normalize_phone("0044 20 7946 0958", "FR") == "+442079460958");
  CHECK(normalize_phone("011 44 20 7946 0958", "US") == "+442079460958");
}

TEST_CASE("lead rules: normalize_phone applies the country's trunk prefix and code", "[lead_rules]") {
  CHECK(normalize_phone("(415) 555-0100", "US") == "+14155550100");
  CHECK(normalize_phone("1-415-555-0100", "US") == "+14155550100");
  CHECK(normalize_phone("416.555.0199", "CA") == "+14165550199");
  CHECK(normalize_phone("020 7946 0958", "GB") == "+442079460958");
  CHECK(normalize_phone("07700 900123", "gb") == "+447700900123");
  CHECK(normalize_phone("030 123456", "DE") == "+4930123456");
  CHECK(normalize_phone("0171 1234567", "DE") == "+491711234567");
  CHECK(normalize_phone("01 23 45 67 89", "FR") == "+33123456789");
  CHECK(normalize_phone("06.12.34.56.78", "FR") == "+33612345678");
  CHECK(normalize_phone("912 345 678", "ES") == "+34912345678");
  CHECK(normalize_phone("06 1234 5678", "IT") == "+390612345678");  // Italy keeps the 0
  CHECK(normalize_phone("06-12345678", "NL") == "+31612345678");
  CHECK(normalize_phone("(02) 9876 5432", "AU") == "+61298765432");
  CHECK(normalize_phone("098765 43210", "IN") == "+919876543210");
  CHECK(normalize_phone("(11) 98765-4321", "BR") == "+5511987654321");
}

TEST_CASE("lead rules: normalize_phone keeps what it cannot place, and refuses what is no phone", "[lead_rules]") {
  CHECK(normalize_phone(" 020 7946 0958 ", "") == "020 7946 0958");       // no country
  CHECK(normalize_phone("020 7946 0958", "XX") == "020 7946 0958");       // not in the table
  CHECK(normalize_phone("7946 0958", "GB") == "7946 0958");               // no area code
  CHECK(normalize_phone("555 0100", "US") == "555 0100");                 // seven digits
  CHECK(normalize_phone("12345", "US") == std::nullopt);                  // too short
  CHECK(normalize_phone("1234567890123456", "") == std::nullopt);         // too long
  CHECK(normalize_phone("1Z999AA10123456784", "US") == std::nullopt);     // letters
  CHECK(normalize_phone("", "US") == std::nullopt);
  CHECK(normalize_phone("+", "US") == std::nullopt);
  CHECK(normalize_phone("415-555-0100 ext 2", "US") == std::nullopt);
}

TEST_CASE("lead rules: obfuscated emails are read, lower-cased and valid", "[lead_rules]") {
  CHECK(one({{"user", "ana at example dot com"}}).email == "ana@example.com");
  CHECK(one({{"user", "Ana [at] Example [dot] com please"}}).email == "ana@example.com");
  CHECK(one({{"user", "write to ana(at)example.com."}}).email == "ana@example.com");
  CHECK(one({{"user", "reach me at ana.lima at gmail dot co dot uk thanks"}}).email == "ana.lima@gmail.co.uk");
  CHECK(one({{"user", "I'm at the office at 5"}}).email.empty());
  CHECK(one({{"user", "ana@localhost is not one"}}).email.empty());
}

TEST_CASE("lead rules: names, and the stop words that are no name", "[lead_rules]") {
  CHECK(one({{"user", "I'm Ana"}}).name == "Ana");
  CHECK(one({{"user", "hi, I am Ana Lima and I need a quote"}}).name == "Ana Lima");
  CHECK(one({{"user", "my name is josé"}}).name == "José");
  CHECK(one({{"user", "Ana here, quick question"}}).name == "Ana");
  auto acme = one({{"user", "this is Ana from Acme Ltd, we need 40 chairs"}});
  CHECK(acme.name == "Ana");
  CHECK(acme.company == "Acme Ltd");
  for (const char* s : {"I'm interested in the course", "I'm looking for a plumber", "I'm not sure", "i'm happy to wait",
                        "I'm based in Leeds", "this is urgent", "I am wondering about prices", "I'm here"})
    CHECK(one({{"user", s}}).name.empty());
}

TEST_CASE("lead rules: the preferred time for a call", "[lead_rules]") {
  CHECK(one({{"user", "call me after 5pm"}}).preferred_time == "after 5pm");
  CHECK(one({{"user", "mornings are best for a call"}}).preferred_time == "mornings");
  CHECK(one({{"user", "can you call me tomorrow at 10?"}}).preferred_time == "tomorrow at 10");
  CHECK(one({{"user", "I'm free between 2 and 4pm, call 020 7946 0958"}}, "GB").preferred_time == "between 2 and 4pm");
  CHECK(one({{"user", "what are your prices?"}}).preferred_time.empty());
  // "am" as a verb is no time of day; after a number it is.
  CHECK(one({{"user", "Hi, I am Ana Lima. I am free"}}).preferred_time.empty());
  CHECK(one({{"user", "call me at 9 am please"}}).preferred_time == "at 9 am");
}

TEST_CASE("lead rules: the summary quotes the first visitor message and the last exchanges", "[lead_rules]") {
  auto card = one({{"assistant", "Hi! How can I help?"}, {"user", "first"}, {"assistant", "a"}, {"user", "b"},
                   {"assistant", "c"}, {"user", "d"}, {"assistant", "e"}});
  CHECK(card.summary.starts_with("Visitor opened with: \"first\"\n"));
  CHECK(card.method == "rules");
  CHECK(card.summary.find("\"first\"") != std::string::npos);
  CHECK(card.summary.find("Visitor: d\nAssistant: e\n") != std::string::npos);
  CHECK(card.summary.find("Assistant: a") == std::string::npos);
  CHECK(one({}).outcome == "INFO_ONLY");
}
