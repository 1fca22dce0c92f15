#include <catch2/catch_test_macros.hpp>

#include "salient/flows/stream/offline.h"

using namespace salient;

TEST_CASE("offline: canned intents are recognised on word boundaries", "[offline]") {
  CHECK(classify_offline("Hello!") == offline_intent::greeting);
  CHECK(classify_offline("good afternoon") == offline_intent::greeting);
  CHECK(classify_offline("How much is a hedge trim?") == offline_intent::pricing);
  CHECK(classify_offline("what are your PRICES") == offline_intent::pricing);
  CHECK(classify_offline("what's your phone number") == offline_intent::contact);
  CHECK(classify_offline("Can I talk to a real person?") == offline_intent::human);
  CHECK(classify_offline("Do you deliver compost to Springfield?") == offline_intent::unknown);
  CHECK(classify_offline("") == offline_intent::unknown);
  CHECK(classify_offline("this is high quality") == offline_intent::unknown);  // "hi" only as a word
  CHECK(classify_offline("priceless") == offline_intent::unknown);
}

TEST_CASE("offline: human beats contact beats pricing beats greeting", "[offline]") {
  CHECK(classify_offline("hi, how much does it cost?") == offline_intent::pricing);
  CHECK(classify_offline("hi, what are your prices and your email?") == offline_intent::contact);
  CHECK(classify_offline("email me a quote or let me speak to someone") == offline_intent::human);
}

TEST_CASE("offline: each intent picks its configured answer", "[offline]") {
  offline_answers a{"g", "p", "c", "h", "f"};
  CHECK(offline_answer(a, offline_intent::greeting) == "g");
  CHECK(offline_answer(a, offline_intent::pricing) == "p");
  CHECK(offline_answer(a, offline_intent::contact) == "c");
  CHECK(offline_answer(a, offline_intent::human) == "h");
  CHECK(offline_answer(a, offline_intent::unknown) == "f");
}

TEST_CASE("offline: a handoff starts only on a clear request for a person", "[offline]") {
  for (const char* yes : {"Can I talk to someone?", "I'd like to speak with a person", "REPRESENTATIVE",
                          "a real person please", "chat with your team", "get me a human"})
    CHECK(asks_for_a_person(yes));
  // Questions that hold a "person" word, or talk about talking, are not requests.
  for (const char* no : {"can someone quote it?", "is your staff trained?", "talk to me about prices",
                         "how many people fit on the patio?", "my agent said you deliver", ""})
    CHECK_FALSE(asks_for_a_person(no));
}
