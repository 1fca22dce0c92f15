#pragma once
// The offline responder: answers with no LLM (no key, LLM down, budget spent) from canned
// intents. Classification is deliberately simple and predictable — keywords on word
// boundaries, with a fixed priority (human > contact > pricing > greeting) — so an operator
// can tell from the config why a visitor got the answer they got.
#include <string_view>

#include "salient/config/config.h"

namespace salient {

enum class offline_intent { greeting, pricing, contact, human, unknown };

offline_intent classify_offline(std::string_view message);
/// The visitor's words ask to be put in touch with a person ("can I talk to someone?", "a real
/// person please", "representative"): what starts a handoff on the offline route, or offers the
/// button on the model's. Narrower than the human intent.
bool asks_for_a_person(std::string_view message);
const char* intent_name(offline_intent intent);
const std::string& offline_answer(const offline_answers& answers, offline_intent intent);

}  // namespace salient
