// summarize_lead (summarize.h) against a scripted OpenRouter: every committed transcript
// answered by the model from its expected fields, the checks that drop what the transcript does
// not back, and each way of falling back to the rules; and the business's own contacts.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "salient/core/exchange.h"
#include "salient/flows/context.h"

#include "effect_doc.h"
#include "flows/summary/lead_model.h"
#include "flows/summary/summarize.h"
#include "lead_samples.h"

using namespace salient;
using namespace salient::lead_rules;
using nlohmann::json;
using salient::testing::lead_answer;
using salient::testing::quote_chat;
using salient::testing::shop;

namespace {

request post() {
  request r;
  r.method = "POST";
  r.target = r.path = "/internal/sweep";
  r.now_ms = 1763800000000;
  r.request_id = "rq";
  return r;
}

std::string completion(const std::string& content) {
  json choice = {{"index", 0}, {"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}};
  return json{{"id", "gen-1"},
              {"choices", json::array({choice})},
              {"usage", {{"prompt_tokens", 900}, {"completion_tokens", 120}, {"total_tokens", 1020}, {"cost", 0.001}}}}
      .dump();
}

task<void> run(function_context ctx, const agent_config& agent, std::vector<transcript_line> t, rules_context rc,
               double month_cost, summary_result* out, bool* finished) {
  *out = co_await summarize_lead(ctx, agent, std::move(t), std::move(rc), month_cost);
  *finished = true;
  ctx.ex.respond({200, {}});
}

/// summarize_lead against a scripted OpenRouter: effects recorded, answers fed by the test.
struct scripted {
  config cfg;
  environment env;
  instance_memory memory;
  knowledge_index knowledge;
  entropy rng{std::string(32, 'x')};
  agent_config agent;
  std::unique_ptr<exchange> ex;
  summary_result out;
  bool finished = false;
  std::vector<json> effects, logs;

  explicit scripted(bool key = true) {
    cfg.app.name = "Brightleaf Gardens";
    agent.code = "sales";
    agent.llm.model = "test/model";
    if (key) {
      env.set("OPENROUTER_API_KEY", "sk-or-test-key");
      env.set("OPENROUTER_BASE_URL", "http://llm.test/api/v1");
    }
  }
  void start(std::vector<transcript_line> t, rules_context rc = {}, double month_cost = 0) {
    ex = std::make_unique<exchange>(post(), log_level::debug);
    effects.clear(), logs.clear(), finished = false;
    function_context ctx{cfg, env, *ex, rng, memory, knowledge};
    ex->start(run(ctx, agent, std::move(t), std::move(rc), month_cost, &out, &finished));
    drain();
  }
  void drain() {
    for (;;) {
      step s = ex->next();
      if (s.kind == step_kind::effect) effects.push_back(testing::effect_doc(s.data));
      else if (s.kind == step_kind::log) logs.push_back(json::parse(s.data));
      else if (s.kind == step_kind::wait || s.kind == step_kind::done) return;
    }
  }
  void reply(int status, const std::string& body) {
    REQUIRE_FALSE(effects.empty());
    auto id = effects.back()["id"].get<std::uint32_t>();
    ex->feed_head(id, {status, {{"content-type", "application/json"}}});
    if (!body.empty()) ex->feed_chunk(id, body);
    ex->feed_end(id);
    drain();
  }
  void answer(const json& lead) { reply(200, completion(lead.dump())); }
  json body(std::size_t call) const { return json::parse(effects.at(call)["body"].get<std::string>()); }
  std::string logged(std::string_view event) const {
    for (const auto& l : logs)
      if (l.dump().find(event) != std::string::npos) return l.dump();
    return "";
  }
};

json or_null(const json& expect, const char* key) {
  return expect.contains(key) ? expect[key] : json(nullptr);
}

/// `s` without its first and last two bytes, the cuts moved to UTF-8 character boundaries.
std::string middle_of(const std::string& s) {
  auto inside = [&](std::size_t i) { return i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80; };
  std::size_t b = 2, e = s.size() - 2;
  while (inside(b)) ++b;
  while (e > b && inside(e)) --e;
  return s.substr(b, e - b);
}

}  // namespace

TEST_CASE("summarize_lead: every committed transcript, answered by the model, gives its expected card", "[summarize]") {
  auto files = salient::testing::transcript_fixtures();
  REQUIRE(files.size() >= 20);
  for (const auto& path : files) {
    INFO(path.filename().string());
    std::ifstream in(path);
    std::stringstream buf;
    buf << in.rdbuf();
    json f = json::parse(buf.str());
    rules_context rc{f.value("country", ""), salient::testing::strings_of(f, "business_emails"),
                    salient::testing::strings_of(f, "business_phones")};
    std::vector<transcript_line> t;
    for (const auto& l : f["transcript"]) t.push_back({l["role"].get<std::string>(), l["text"].get<std::string>()});
    const json& expect = f["expect"];
    // The model quotes the lines the rules found, and the visitor's first line cut in the middle.
    std::vector<std::string> evidence = extract(t, rc).evidence;
    if (!evidence.empty() && evidence[0].size() > 12) evidence.push_back(middle_of(evidence[0]));
    json answer = lead_answer({{"name", or_null(expect, "name")},
                               {"email", or_null(expect, "email")},
                               {"phone", or_null(expect, "phone")},
                               {"company", or_null(expect, "company")},
                               {"preferred_time", or_null(expect, "preferred_time")},
                               {"outcome", expect["outcome"]},
                               {"evidence", evidence},
                               {"summary", "What the visitor wanted."},
                               {"next_step", "Follow up."}});

    scripted s;
    s.start(t, rc);
    REQUIRE(s.effects.size() == 1);
    CHECK(s.effects[0]["url"] == "http://llm.test/api/v1/chat/completions");
    json body = s.body(0);
    CHECK(body["model"] == "test/model");
    CHECK(body["response_format"]["json_schema"]["name"] == "lead");
    std::string user = body["messages"][1]["content"];
    CHECK(user.starts_with("<transcript>\n"));
    for (const auto& l : t)
      if (l.text.find('\n') == std::string::npos) CHECK(user.find(l.text) != std::string::npos);
    s.answer(answer);
    REQUIRE(s.finished);
    const lead_card& c = s.out.card;
    CHECK(c.method == "model");
    CHECK(s.out.fallback_reason.empty());
    CHECK(c.name == expect.value("name", ""));
    CHECK(c.email == expect.value("email", ""));
    CHECK(c.phone == expect.value("phone", ""));
    CHECK(c.company == expect.value("company", ""));
    CHECK(c.preferred_time == expect.value("preferred_time", ""));
    CHECK(c.outcome == expect["outcome"].get<std::string>());
    std::vector<std::string> quoted;  // as the card keeps them: trimmed
    for (const auto& e : evidence) quoted.push_back(lead_model::detail::squeeze_spaces(e));
    CHECK(c.evidence == quoted);
    CHECK(c.language == "en");
    CHECK(c.needs == std::vector<std::string>{"a deep clean"});
    CHECK(c.summary == "What the visitor wanted.");
    CHECK(c.next_step == "Follow up.");
    CHECK(s.out.calls == 1);
    CHECK(s.out.model == "test/model");
    CHECK(s.out.usage.total_tokens == 1020);
  }
}

TEST_CASE("summarize_lead: an invalid first answer is repaired, and the repaired answer makes the card", "[summarize]") {
  scripted s;
  s.start(quote_chat, shop());
  s.reply(200, completion("Sure! Ana wants a quote, her email is ana.lima@example.com."));
  REQUIRE(s.effects.size() == 2);
  CHECK_FALSE(s.body(1).contains("response_format"));
  s.reply(200, completion("```json\n" + lead_answer({{"email", "ana.lima@example.com"}}).dump() + "\n```"));
  REQUIRE(s.finished);
  CHECK(s.out.card.method == "model");
  CHECK(s.out.card.email == "ana.lima@example.com");
  CHECK(s.out.calls == 2);
  CHECK(s.out.usage.total_tokens == 2040);  // both calls are billed
  CHECK(s.logged("summary.model_fallback").empty());
}

TEST_CASE("summarize_lead: invalid twice falls back to the rules, with the calls still reported", "[summarize]") {
  scripted s;
  s.start(quote_chat, shop());
  s.reply(200, completion("I cannot do that."));
  s.reply(200, completion(R"({"summary":"x","outcome":"LEAD"})"));
  REQUIRE(s.finished);
  CHECK(s.effects.size() == 2);
  CHECK(s.out.card.method == "rules");
  CHECK(s.out.card.summary.starts_with("Visitor opened with: "));
  CHECK(s.out.card.email == "ana.lima@example.com");
  CHECK(s.out.fallback_reason == "invalid_answer");
  CHECK(s.out.calls == 2);
  CHECK(s.out.model == "test/model");
  std::string log = s.logged("summary.model_fallback");
  CHECK(log.find("invalid_answer") != std::string::npos);
  CHECK(log.find("Ana") == std::string::npos);  // never the transcript
}

TEST_CASE("summarize_lead: an upstream error falls back to the rules and counts against the breaker", "[summarize]") {
  scripted s;
  s.cfg.resilience.breaker_failures = 1;
  s.start(quote_chat, shop());
  s.reply(503, R"({"error":{"code":503,"message":"no provider"}})");
  REQUIRE(s.finished);
  CHECK(s.effects.size() == 1);
  CHECK(s.out.card.method == "rules");
  CHECK(s.out.card.outcome == "CALLBACK");
  CHECK(s.out.fallback_reason == "upstream_error");
  CHECK_FALSE(s.logged("llm.breaker_opened").empty());
  // The breaker is open: the next summary does not call the model at all.
  s.start(quote_chat, shop());
  REQUIRE(s.finished);
  CHECK(s.effects.empty());
  CHECK(s.out.fallback_reason == "llm_unavailable");
  CHECK(s.out.card.method == "rules");
}

TEST_CASE("summarize_lead: no key, a spent budget or a bad base URL mean the rules, with no call", "[summarize]") {
  {
    scripted s(false);
    s.start(quote_chat, shop());
    REQUIRE(s.finished);
    CHECK(s.effects.empty());
    CHECK(s.out.card.method == "rules");
    CHECK(s.out.fallback_reason == "no_llm_key");
    CHECK(s.out.calls == 0);
    CHECK(s.out.model.empty());
    CHECK_FALSE(s.logged("summary.model_fallback").empty());
  }
  {
    scripted s;
    s.cfg.budget.monthly_usd = 5;
    s.start(quote_chat, shop(), 5.0);
    REQUIRE(s.finished);
    CHECK(s.effects.empty());
    CHECK(s.out.fallback_reason == "budget_spent");
    s.start(quote_chat, shop(), 4.99);  // not yet spent: the model is asked
    CHECK(s.effects.size() == 1);
  }
  {
    scripted s;
    s.env.set("OPENROUTER_BASE_URL", "ftp://llm.test");
    s.start(quote_chat, shop());
    REQUIRE(s.finished);
    CHECK(s.effects.empty());
    CHECK(s.out.fallback_reason == "llm_misconfigured");
  }
}

TEST_CASE("summarize_lead: the business's own email and phone, and contacts not in the transcript, are dropped", "[summarize]") {
  for (json wrong : {json{{"email", "hello@brightleaf.example"}, {"phone", "+1 415 555 0100"}},
                     json{{"email", "HELLO@Brightleaf.example"}, {"phone", "(415) 555-0100"}},
                     json{{"email", "ana@example.com"}, {"phone", "+1 415 555 0123"}},
                     json{{"email", "not an address"}, {"phone", "call me"}}}) {
    INFO(wrong.dump());
    scripted s;
    s.start(quote_chat, shop());
    json a = lead_answer(wrong);
    a["summary"] = "Reach Ana at " + wrong["email"].get<std::string>() + ".";
    a["next_step"] = "Email " + wrong["email"].get<std::string>() + ".";
    s.answer(a);
    REQUIRE(s.finished);
    CHECK(s.out.card.method == "model");
    CHECK(s.out.card.email.empty());
    CHECK(s.out.card.phone.empty());
    CHECK(s.out.card.summary == "Reach Ana at (unverified).");
    CHECK(s.out.card.next_step == next_step_for(s.out.card));  // the model's named the dropped address
  }
  // The visitor's own, written differently by the model, are kept in the rules' form.
  scripted s;
  s.start(quote_chat, shop());
  s.answer(lead_answer({{"email", " ANA.LIMA@example.com "}, {"phone", "+1 415-555-0199"}}));
  CHECK(s.out.card.email == "ana.lima@example.com");
  CHECK(s.out.card.phone == "+14155550199");
}

TEST_CASE("summarize_lead: a country code the model adds is checked against the visitor's number", "[summarize]") {
  std::vector<transcript_line> t = {{"user", "Ana here from Lisbon. Pls call me on 912 345 678, order 55512345678 is late"}};
  scripted s;
  s.start(t, {});
  s.answer(lead_answer({{"phone", "+351 912 345 678"}, {"outcome", "CALLBACK"}}));
  CHECK(s.out.card.phone == "912 345 678");
  s.start(t, {});
  s.answer(lead_answer({{"phone", "55512345678"}, {"outcome", "SUPPORT"}}));  // an order number
  CHECK(s.out.card.phone.empty());
}

TEST_CASE("summarize_lead: evidence not quoted from the visitor is dropped; quotes are compared loosely", "[summarize]") {
  scripted s;
  s.start(quote_chat, shop());
  s.answer(lead_answer({{"evidence",
                         {"“how much would a 3 bedroom house clean cost?”",  // curly quotes, one space
                          "Our deep clean for 3 bedrooms starts at $240.",   // the assistant's
                          "I want to buy ten houses",                        // made up
                          "ok",                                               // too short to mean anything
                          "how much would a 3 bedroom house clean cost?"}}}));  // a repeat
  CHECK(s.out.card.evidence == std::vector<std::string>{"how much would a 3 bedroom house clean cost?"});
  CHECK(s.out.card.outcome == "LEAD");
}

TEST_CASE("summarize_lead: an unknown outcome becomes the rules' outcome; case is forgiven", "[summarize]") {
  scripted s;
  s.start(quote_chat, shop());
  s.answer(lead_answer({{"outcome", "HOT_LEAD"}, {"evidence", json::array()}, {"next_step", "Ignore."}}));
  CHECK(s.out.card.method == "model");
  CHECK(s.out.card.outcome == "CALLBACK");  // "call me on …": the rules' answer
  CHECK(s.out.card.evidence == extract(quote_chat, shop()).evidence);
  CHECK(s.out.card.next_step == next_step_for(s.out.card));
  s.start(quote_chat, shop());
  s.answer(lead_answer({{"outcome", " spam "}}));
  CHECK(s.out.card.outcome == "SPAM");
  CHECK(s.out.card.next_step == "Send Ana the quote.");
}

TEST_CASE("summarize_lead: the business's contacts come from salient.yaml and the knowledge index", "[summarize]") {
  auto cfg = parse_config(R"({"app":{"name":"Shop","country":"GB"},"email":{"from":"Hello@Shop.example"},)"
                          R"("offline":{"contact":"Call 020 7946 0958 or write to sales@shop.example."}})");
  REQUIRE(cfg.ok());
  auto index = knowledge_index::load(build_knowledge_index(
      {{"contact.md", "Contact", "", "", "Phone +44 20 7946 0958, email sales@shop.example or hello@shop.example."},
       {"hours.md", "Hours", "Support", "", "Support line: +44 161 496 0000. Order 12345678 examples."}}));
  REQUIRE(index.ok());
  rules_context rc = business_contacts(*cfg, *index);
  CHECK(rc.country == "GB");
  CHECK(rc.business_emails == std::vector<std::string>{"hello@shop.example", "sales@shop.example"});
  CHECK(rc.business_phones == std::vector<std::string>{"020 7946 0958", "+44 161 496 0000"});
}
