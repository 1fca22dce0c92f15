// parse_config by section: defaults, personas, agents, the llm they inherit, offline answers.
// config_values.test.cpp has the checks of single values; config_keys.test.cpp the field table.
#include "salient/config/config.h"

#include <string>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "config_parse.h"

using Catch::Matchers::ContainsSubstring;
using salient::config;

TEST_CASE("config: an empty object gives one enabled sales agent", "[config]") {
  config c = parse_ok("{}");
  REQUIRE(c.agents.size() == 1);
  CHECK(c.agents[0].code == "sales");
  CHECK(c.agents[0].name == "Sales assistant");
  CHECK(c.agents[0].enabled);
  CHECK(c.agents[0].persona == "sales");
  CHECK(c.app.default_agent == "sales");
  REQUIRE(c.find_enabled_agent("sales") == &c.agents[0]);
}

TEST_CASE("config: defaults are those documented in config.h", "[config]") {
  config c = parse_ok("{}");
  config d;  // the header's defaults
  CHECK(c.app.name == d.app.name);
  CHECK(c.app.mode == "single-tenant");
  CHECK(c.app.tenant == "default");
  CHECK(c.app.allowed_origins.empty());
  CHECK(c.chat.max_message_chars == 4000);
  CHECK(c.chat.input.debounce_ms == 250);
  CHECK(c.chat.input.submit_shortcut == "ctrl+enter");
  CHECK(c.chat.input.enter_inserts_newline);
  CHECK(c.logging.level == "INFO");
  CHECK(c.logging.path == "./logs/app.jsonl");
  CHECK(c.logging.rotation == salient::log_limit{salient::log_unit::bytes, 50 * 1024 * 1024});
  CHECK(c.logging.retention == salient::log_limit{salient::log_unit::seconds, 14 * 86400});
  CHECK(d.logging.rotation == c.logging.rotation);
  CHECK(c.vector.pinecone_index_name.empty());
  CHECK(c.embeddings.model == "text-embedding-3-small");
  CHECK(c.llm.provider == "openrouter");
  CHECK(c.llm.model == "openai/gpt-oss-20b:free");
  CHECK(c.llm.temperature == 0.3);
  CHECK(c.llm.max_tokens == 1024);
  CHECK(c.llm.history_tokens == 3000);
  CHECK(c.llm.timeout_ms == 30000);
  CHECK(c.llm.retries == 2);
  CHECK(c.ui.sse_enabled);
  CHECK(c.limits.max_body_bytes == 32768);
  CHECK(c.limits.stream_ttl_seconds == 60);
  CHECK(c.limits.upstream_timeout_ms == 10000);
  CHECK(c.budget.monthly_usd == 0);
  CHECK(c.resilience.breaker_failures == 5);
  CHECK(c.resilience.breaker_window_seconds == 30);
  CHECK(c.resilience.breaker_cooldown_seconds == 30);
  CHECK(c.agents[0].llm.model == c.llm.model);
  CHECK(c.agents[0].llm.history_tokens == 3000);
  CHECK(c.agents[0].llm.timeout_ms == 30000);
  CHECK(c.agents[0].llm.retries == 2);
  CHECK(d.llm.history_tokens == c.llm.history_tokens);
  CHECK(d.resilience.breaker_failures == c.resilience.breaker_failures);
}

TEST_CASE("config: without personas: there is the built-in sales persona", "[config]") {
  for (const char* text : {"{}", R"({"personas": null})"}) {
    config c = parse_ok(text);
    REQUIRE(c.personas.size() == 1);
    const salient::persona_config* p = c.find_persona("sales");
    REQUIRE(p == &c.personas[0]);
    CHECK(p->code == "sales");
    CHECK(p->name == "Sales assistant");
    CHECK(c.find_persona("support") == nullptr);
    CHECK(c.find_persona("") == nullptr);
  }
}

TEST_CASE("config: the built-in sales prompt keeps {{app_name}} and covers the ground rules", "[config]") {
  config c = parse_ok(R"({"app": {"name": "Brightleaf Gardens"}})");
  const std::string& prompt = c.find_persona("sales")->system_prompt;
  CHECK_THAT(prompt, ContainsSubstring("{{app_name}}"));
  CHECK_THAT(prompt, !ContainsSubstring("Brightleaf"));  // the core fills the name in at run time
  for (const char* rule : {"don't know", "Never invent", "prices", "name and email", "Ask once", "[1]",
                           "language", "HTML", "medical, legal or financial"})
    CHECK_THAT(prompt, ContainsSubstring(rule));
  CHECK(prompt.size() < 3000);
}

TEST_CASE("config: personas are read by code, and agents name them", "[config]") {
  config c = parse_ok(R"({
    "personas": {
      "support": {"name": "Help desk", "system_prompt": "You help customers of {{app_name}}."},
      "sales": {"name": "Advisor", "description": "Sells plants", "system_prompt": "Sell, kindly."}
    },
    "agents": {"sales": {}, "support": {"persona": "support"}}})");
  REQUIRE(c.personas.size() == 2);
  CHECK(c.personas[0].code == "sales");  // sorted by code
  CHECK(c.personas[0].name == "Advisor");
  CHECK(c.personas[0].description == "Sells plants");
  CHECK(c.personas[0].system_prompt == "Sell, kindly.");
  const salient::persona_config* support = c.find_persona("support");
  REQUIRE(support);
  CHECK(support->description.empty());
  CHECK(support->system_prompt == "You help customers of {{app_name}}.");
  CHECK(c.find_persona(c.find_enabled_agent("support")->persona) == support);
}

TEST_CASE("config: a prompt may be 20000 characters, counted as code points", "[config]") {
  std::string e_acute = "\xc3\xa9";  // two bytes, one character
  std::string prompt;
  for (int i = 0; i < 20000; ++i) prompt += e_acute;
  config c = parse_ok(R"({"personas": {"sales": {"name": "S", "system_prompt": ")" + prompt + R"("}}})");
  CHECK(c.personas[0].system_prompt.size() == 40000);

  auto e = parse_err(R"({"personas": {"sales": {"name": "S", "system_prompt": ")" + std::string(20001, 'x') +
                     R"("}}})");
  CHECK(e.path == "/personas/sales/system_prompt");
  CHECK(e.message == "personas.sales.system_prompt must be at most 20000 characters, got 20001");
}

TEST_CASE("config: an agent must name a persona that exists", "[config]") {
  auto e = parse_err(R"({"agents": {"sales": {}, "support": {"persona": "support"}}})");
  CHECK(e.path == "/agents/support/persona");
  CHECK(e.message == R"(agents.support.persona "support" is not a persona (only the built-in "sales" exists until )"
                     R"(you add a personas: section))");

  // With personas:, only those it defines exist: the built-in sales is gone.
  e = parse_err(R"({"personas": {"support": {"name": "Help", "system_prompt": "Help."}},
                    "agents": {"sales": {}}})");
  CHECK(e.path == "/agents/sales/persona");
  CHECK(e.message == R"(agents.sales.persona "sales" is not a persona (known personas: support))");

  e = parse_err(R"({"personas": {"support": {"name": "Help", "system_prompt": "Help."},
                                 "sales": {"name": "Sell", "system_prompt": "Sell."}},
                    "agents": {"sales": {"persona": "suport", "enabled": false}, "support": {"persona": "support"}},
                    "app": {"default_agent": "support"}})");
  CHECK(e.path == "/agents/sales/persona");  // disabled agents too
  CHECK(e.message ==
        R"(agents.sales.persona "suport" is not a persona; did you mean "support"? (known personas: sales, support))");

  e = parse_err(R"({"personas": {}})");
  CHECK(e.path == "/agents/sales/persona");
  CHECK(e.message == R"(agents.sales.persona "sales" is not a persona (the personas: section is empty))");
}

TEST_CASE("config: an error inside an agent comes before its unknown persona", "[config]") {
  auto e = parse_err(R"({"agents": {"support": {"persona": "support", "llm": {"retries": 6}}}})");
  CHECK(e.path == "/agents/support/llm/retries");
}

TEST_CASE("config: a persona needs a name and a system prompt", "[config]") {
  struct bad {
    const char* json;
    const char* path;
    const char* message;
  };
  auto c = GENERATE(values<bad>({
      {R"({"personas": {"sales": {"name": "Seller"}}})", "/personas/sales/system_prompt",
       "personas.sales.system_prompt is required"},
      {R"({"personas": {"sales": {"system_prompt": "Sell."}}})", "/personas/sales/name",
       "personas.sales.name is required"},
      {R"({"personas": {"sales": null}})", "/personas/sales/name", "personas.sales.name is required"},
      {R"({"personas": {"sales": {"name": "Seller", "system_prompt": ""}}})", "/personas/sales/system_prompt",
       "personas.sales.system_prompt must not be empty"},
      {R"({"personas": {"sales": {"name": "", "system_prompt": "Sell."}}})", "/personas/sales/name",
       "personas.sales.name must not be empty"},
      {R"({"personas": {"sales": {"name": "S", "system_prompt": null}}})", "/personas/sales/system_prompt",
       "personas.sales.system_prompt must be a string, got null"},
      {R"({"personas": {"sales": {"name": "S", "system_prompt": "P", "description": 3}}})",
       "/personas/sales/description", "personas.sales.description must be a string, got 3 (in YAML, put it in quotes)"},
      {R"({"personas": {"sales": {"name": "S", "system_prompt": "P", "system-prompt": "x"}}})",
       "/personas/sales/system-prompt",
       R"(unknown key "system-prompt" in personas.sales; did you mean "system_prompt"?)"},
      {R"({"personas": {"sales": "Sell."}})", "/personas/sales", R"(personas.sales must be a mapping, got "Sell.")"},
      {R"({"personas": {"Sales": {"name": "S", "system_prompt": "P"}}})", "/personas/Sales",
       R"(persona code "Sales" must be 1 to 32 characters of a-z, 0-9 and "-")"},
      {R"({"personas": ["sales"]})", "/personas",
       "personas must be a mapping from persona code to its settings, got a list"},
  }));
  auto e = parse_err(c.json);
  CHECK(e.path == c.path);
  CHECK(e.message == c.message);
}

TEST_CASE("config: null sections mean all defaults", "[config]") {
  config c = parse_ok(R"({"app": null, "chat": {"input": null}, "llm": null, "agents": null, "offline": null})");
  CHECK(c.app.name == "Salient demo");
  CHECK(c.agents.size() == 1);
  CHECK(parse_ok("null").agents.size() == 1);
}

TEST_CASE("config: default offline answers name the business and admit they are offline", "[config]") {
  config c = parse_ok(R"({"app": {"name": "Brightleaf Gardens"}})");
  for (const std::string* a : {&c.offline.greeting, &c.offline.pricing, &c.offline.contact, &c.offline.human,
                               &c.offline.fallback})
    CHECK_THAT(*a, ContainsSubstring("Brightleaf Gardens"));
  CHECK_THAT(c.offline.greeting, ContainsSubstring("offline"));
  CHECK_THAT(c.offline.fallback, ContainsSubstring("I can't answer that offline"));
  CHECK_THAT(c.offline.fallback, ContainsSubstring("talk to a human"));
}

TEST_CASE("config: offline answers can be replaced one by one", "[config]") {
  config c = parse_ok(R"({"offline": {"pricing": "Lawn care starts at $40."}})");
  CHECK(c.offline.pricing == "Lawn care starts at $40.");
  CHECK_THAT(c.offline.fallback, ContainsSubstring("Salient demo"));
  auto e = parse_err(R"({"offline": {"human": ""}})");
  CHECK(e.path == "/offline/human");
  CHECK(e.message == "offline.human must not be empty");
}

TEST_CASE("config: agents inherit the global llm and override it key by key", "[config]") {
  config c = parse_ok(R"({
    "llm": {"model": "m/global", "temperature": 0.5, "max_tokens": 2000, "history_tokens": 1500,
            "timeout_ms": 20000, "retries": 1},
    "app": {"default_agent": "support"},
    "personas": {"sales": {"name": "S", "system_prompt": "Sell."}, "support": {"name": "H", "system_prompt": "Help."}},
    "agents": {
      "sales": {"name": "Sales", "llm": {"temperature": 0.9, "history_tokens": 0}},
      "support": {"persona": "support", "llm": {"model": "m/support", "max_tokens": 500, "timeout_ms": 60000,
                                                "retries": 0}}
    }})");
  REQUIRE(c.agents.size() == 2);
  const auto* sales = c.find_enabled_agent("sales");
  const auto* support = c.find_enabled_agent("support");
  REQUIRE(sales);
  REQUIRE(support);
  CHECK(sales->name == "Sales");
  CHECK(sales->llm.model == "m/global");
  CHECK(sales->llm.temperature == 0.9);
  CHECK(sales->llm.max_tokens == 2000);
  CHECK(support->name == "Support assistant");
  CHECK(support->persona == "support");
  CHECK(support->llm.model == "m/support");
  CHECK(support->llm.temperature == 0.5);
  CHECK(support->llm.max_tokens == 500);
  CHECK(c.llm.model == "m/global");
  CHECK(sales->llm.history_tokens == 0);
  CHECK(sales->llm.timeout_ms == 20000);
  CHECK(sales->llm.retries == 1);
  CHECK(support->llm.history_tokens == 1500);
  CHECK(support->llm.timeout_ms == 60000);
  CHECK(support->llm.retries == 0);
  CHECK(c.llm.history_tokens == 1500);
  CHECK(c.llm.retries == 1);
}

TEST_CASE("config: budget and resilience are read", "[config]") {
  config c = parse_ok(R"({"budget": {"monthly_usd": 25.5},
                          "resilience": {"breaker_failures": 1, "breaker_window_seconds": 3600,
                                         "breaker_cooldown_seconds": 1}})");
  CHECK(c.budget.monthly_usd == 25.5);
  CHECK(c.resilience.breaker_failures == 1);
  CHECK(c.resilience.breaker_window_seconds == 3600);
  CHECK(c.resilience.breaker_cooldown_seconds == 1);
  CHECK(parse_ok(R"({"budget": {"monthly_usd": 40}})").budget.monthly_usd == 40);
  CHECK(parse_ok(R"({"budget": null, "resilience": null})").resilience.breaker_failures == 5);
}

TEST_CASE("config: an agent's name defaults from its code", "[config]") {
  config c = parse_ok(R"({"agents": {"sales": {}, "after-sales": null}})");
  REQUIRE(c.agents.size() == 2);
  CHECK(c.agents[0].code == "after-sales");
  CHECK(c.agents[0].name == "After sales assistant");
}

TEST_CASE("config: find_enabled_agent ignores disabled and unknown agents", "[config]") {
  config c = parse_ok(R"({"agents": {"sales": {}, "support": {"enabled": false}}})");
  CHECK(c.find_enabled_agent("sales"));
  CHECK(c.find_enabled_agent("support") == nullptr);
  CHECK(c.find_enabled_agent("billing") == nullptr);
  CHECK(c.find_enabled_agent("") == nullptr);
}
