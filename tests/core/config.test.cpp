#include "salient/config/config.h"

#include <string>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <nlohmann/json.hpp>

using Catch::Matchers::ContainsSubstring;
using salient::config;
using salient::errc;
using salient::parse_config;
using salient::to_json;

namespace {

config parse_ok(const std::string& text) {
  auto r = parse_config(text);
  INFO(text);
  if (!r) FAIL("unexpected error at " << r.err().path << ": " << r.err().message);
  return *r;
}

salient::error parse_err(const std::string& text) {
  auto r = parse_config(text);
  INFO(text);
  REQUIRE_FALSE(r);
  CHECK(r.err().kind == errc::misconfigured);
  return r.err();
}

}  // namespace

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
  CHECK(c.chat.inactivity_minutes == 30);
  CHECK(c.chat.max_message_chars == 4000);
  CHECK(c.chat.input.debounce_ms == 250);
  CHECK(c.chat.input.submit_shortcut == "ctrl+enter");
  CHECK(c.chat.input.enter_inserts_newline);
  CHECK(c.email.mock_sales_recipient == "sales@example.com");
  CHECK(c.logging.level == "INFO");
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

TEST_CASE("config: text that is not JSON is an error", "[config]") {
  auto e = parse_err(R"({"app": )");
  CHECK(e.path.empty());
  CHECK_THAT(e.message, ContainsSubstring("not valid JSON"));
  parse_err("");
  parse_err("{} {}");
}

TEST_CASE("config: the document must be a mapping", "[config]") {
  auto e = parse_err("[1, 2]");
  CHECK(e.path.empty());
  CHECK(e.message == "the configuration must be a mapping, got a list");
}

TEST_CASE("config: each bad value is reported with its message and JSON pointer", "[config]") {
  struct bad {
    const char* json;
    const char* path;
    const char* message;
  };
  auto c = GENERATE(values<bad>({
      {R"({"llm": {"temperature": 5}})", "/llm/temperature", "llm.temperature must be a number from 0 to 2, got 5"},
      {R"({"llm": {"temperature": "hot"}})", "/llm/temperature",
       R"(llm.temperature must be a number from 0 to 2, got "hot")"},
      {R"({"llm": {"max_tokens": 0}})", "/llm/max_tokens", "llm.max_tokens must be an integer from 1 to 32768, got 0"},
      {R"({"llm": {"max_tokens": "1024"}})", "/llm/max_tokens",
       R"(llm.max_tokens must be an integer from 1 to 32768, got "1024")"},
      {R"({"llm": {"max_tokens": 100.5}})", "/llm/max_tokens",
       "llm.max_tokens must be an integer from 1 to 32768, got 100.5"},
      {R"({"llm": {"max_tokens": 18446744073709551615}})", "/llm/max_tokens",
       "llm.max_tokens must be an integer from 1 to 32768, got 18446744073709551615"},
      {R"({"llm": {"history_tokens": -1}})", "/llm/history_tokens",
       "llm.history_tokens must be an integer from 0 to 100000, got -1"},
      {R"({"llm": {"history_tokens": 100001}})", "/llm/history_tokens",
       "llm.history_tokens must be an integer from 0 to 100000, got 100001"},
      {R"({"llm": {"timeout_ms": 999}})", "/llm/timeout_ms",
       "llm.timeout_ms must be an integer from 1000 to 300000, got 999"},
      {R"({"llm": {"timeout_ms": 300001}})", "/llm/timeout_ms",
       "llm.timeout_ms must be an integer from 1000 to 300000, got 300001"},
      {R"({"llm": {"retries": 6}})", "/llm/retries", "llm.retries must be an integer from 0 to 5, got 6"},
      {R"({"llm": {"retries": true}})", "/llm/retries", "llm.retries must be an integer from 0 to 5, got true"},
      {R"({"agents": {"sales": {"llm": {"timeout_ms": 0}}}})", "/agents/sales/llm/timeout_ms",
       "agents.sales.llm.timeout_ms must be an integer from 1000 to 300000, got 0"},
      {R"({"agents": {"sales": {"llm": {"history_tokens": 1e6}}}})", "/agents/sales/llm/history_tokens",
       "agents.sales.llm.history_tokens must be an integer from 0 to 100000, got 1000000.0"},
      {R"({"budget": {"monthly_usd": -1}})", "/budget/monthly_usd",
       "budget.monthly_usd must be a number from 0 to 1000000, got -1"},
      {R"({"budget": {"monthly_usd": "10"}})", "/budget/monthly_usd",
       R"(budget.monthly_usd must be a number from 0 to 1000000, got "10")"},
      {R"({"budget": 10})", "/budget", "budget must be a mapping, got 10"},
      {R"({"resilience": {"breaker_failures": 0}})", "/resilience/breaker_failures",
       "resilience.breaker_failures must be an integer from 1 to 100, got 0"},
      {R"({"resilience": {"breaker_failures": 101}})", "/resilience/breaker_failures",
       "resilience.breaker_failures must be an integer from 1 to 100, got 101"},
      {R"({"resilience": {"breaker_window_seconds": 3601}})", "/resilience/breaker_window_seconds",
       "resilience.breaker_window_seconds must be an integer from 1 to 3600, got 3601"},
      {R"({"resilience": {"breaker_cooldown_seconds": 0}})", "/resilience/breaker_cooldown_seconds",
       "resilience.breaker_cooldown_seconds must be an integer from 1 to 3600, got 0"},
      {R"({"llm": {"provider": "openai"}})", "/llm/provider", R"(llm.provider must be one of openrouter, got "openai")"},
      {R"({"llm": {"model": ""}})", "/llm/model", "llm.model must not be empty"},
      {R"({"llm": []})", "/llm", "llm must be a mapping, got a list"},
      {R"({"app": {"name": 42}})", "/app/name", "app.name must be a string, got 42 (in YAML, put it in quotes)"},
      {R"({"app": {"mode": "multi"}})", "/app/mode",
       R"(app.mode must be one of single-tenant, multi-tenant, got "multi"; did you mean "multi-tenant"?)"},
      {R"({"app": {"tenant": "Acme Inc"}})", "/app/tenant",
       R"(app.tenant must be 1 to 64 characters of a-z, 0-9 and "-", got "Acme Inc")"},
      {R"({"app": {"allowed_origins": "https://a.example"}})", "/app/allowed_origins",
       R"(app.allowed_origins must be a list of origins, got "https://a.example")"},
      {R"({"chat": {"inactivity_minutes": 0}})", "/chat/inactivity_minutes",
       "chat.inactivity_minutes must be an integer from 1 to 10080, got 0"},
      {R"({"chat": {"max_message_chars": 100001}})", "/chat/max_message_chars",
       "chat.max_message_chars must be an integer from 1 to 100000, got 100001"},
      {R"({"chat": {"input": {"debounce_ms": -1}}})", "/chat/input/debounce_ms",
       "chat.input.debounce_ms must be an integer from 0 to 5000, got -1"},
      {R"({"chat": {"input": {"submit_shortcut": "shift+enter"}}})", "/chat/input/submit_shortcut",
       R"(chat.input.submit_shortcut must be one of ctrl+enter, enter, got "shift+enter")"},
      {R"({"chat": {"input": {"enter_inserts_newline": "yes"}}})", "/chat/input/enter_inserts_newline",
       R"(chat.input.enter_inserts_newline must be true or false, got "yes")"},
      {R"({"email": {"mock_sales_recipient": "sales"}})", "/email/mock_sales_recipient",
       R"(email.mock_sales_recipient must be an email address, got "sales")"},
      {R"({"logging": {"level": "TRACE"}})", "/logging/level",
       R"(logging.level must be one of DEBUG, INFO, WARN, ERROR, got "TRACE")"},
      {R"({"logging": {"path": null}})", "/logging/path", "logging.path must be a string, got null"},
      {R"({"vector": {"pinecone": {"index_name": "My_Index"}}})", "/vector/pinecone/index_name",
       R"(vector.pinecone.index_name must be a Pinecone index name (1 to 45 characters of a-z, 0-9 and "-"), or empty for the local index, got "My_Index")"},
      {R"({"embeddings": {"model": false}})", "/embeddings/model",
       "embeddings.model must be a string, got false (in YAML, put it in quotes)"},
      {R"({"ui": {"sse_enabled": 1}})", "/ui/sse_enabled", "ui.sse_enabled must be true or false, got 1"},
      {R"({"limits": {"max_body_bytes": 1023}})", "/limits/max_body_bytes",
       "limits.max_body_bytes must be an integer from 1024 to 1048576, got 1023"},
      {R"({"limits": {"stream_ttl_seconds": 61}})", "/limits/stream_ttl_seconds",
       "limits.stream_ttl_seconds must be an integer from 5 to 60, got 61"},
      {R"({"limits": {"upstream_timeout_ms": 99}})", "/limits/upstream_timeout_ms",
       "limits.upstream_timeout_ms must be an integer from 100 to 120000, got 99"},
      {R"({"offline": {"greeting": ["hi"]}})", "/offline/greeting", "offline.greeting must be a string, got a list"},
      {R"({"agents": {"support": {"enabled": "no"}}})", "/agents/support/enabled",
       R"(agents.support.enabled must be true or false, got "no")"},
      {R"({"agents": {"sales": {"llm": {"temperature": -0.5}}}})", "/agents/sales/llm/temperature",
       "agents.sales.llm.temperature must be a number from 0 to 2, got -0.5"},
      {R"({"agents": {"sales": {"persona": "Sales Team"}}})", "/agents/sales/persona",
       R"(agents.sales.persona must be 1 to 32 characters of a-z, 0-9 and "-", got "Sales Team")"},
      {R"({"agents": {"sales": true}})", "/agents/sales", "agents.sales must be a mapping, got true"},
      {R"({"agents": ["sales"]})", "/agents", "agents must be a mapping from agent code to its settings, got a list"},
  }));
  auto e = parse_err(c.json);
  CHECK(e.path == c.path);
  CHECK(e.message == c.message);
}

TEST_CASE("config: an unknown key suggests the closest known key", "[config]") {
  auto e = parse_err(R"({"llm": {"tempreature": 0.2}})");
  CHECK(e.path == "/llm/tempreature");
  CHECK(e.message == R"(unknown key "tempreature" in llm; did you mean "temperature"?)");

  e = parse_err(R"({"agent": {}})");
  CHECK(e.path == "/agent");
  CHECK(e.message == R"(unknown key "agent" at the top level; did you mean "agents"?)");

  e = parse_err(R"({"agents": {"sales": {"Enabled": true}}})");
  CHECK(e.path == "/agents/sales/Enabled");
  CHECK_THAT(e.message, ContainsSubstring(R"(did you mean "enabled"?)"));

  e = parse_err(R"({"chat": {"input": {"debounce": 100}}})");
  CHECK(e.path == "/chat/input/debounce");
  CHECK_THAT(e.message, ContainsSubstring(R"(did you mean "debounce_ms"?)"));
}

TEST_CASE("config: an unknown key far from any known key lists the allowed keys", "[config]") {
  auto e = parse_err(R"({"ui": {"theme": "dark"}})");
  CHECK(e.path == "/ui/theme");
  CHECK(e.message == R"(unknown key "theme" in ui (expected one of: sse_enabled, allow_basic_html))");
}

TEST_CASE("config: keys with / and ~ are escaped in the JSON pointer", "[config]") {
  auto e = parse_err(R"({"llm": {"a/b~c": 1}})");
  CHECK(e.path == "/llm/a~1b~0c");
}

TEST_CASE("config: an enum value in the wrong case suggests the right one", "[config]") {
  auto e = parse_err(R"({"logging": {"level": "info"}})");
  CHECK(e.message == R"(logging.level must be one of DEBUG, INFO, WARN, ERROR, got "info"; did you mean "INFO"?)");
}

TEST_CASE("config: duplicate keys are rejected, not silently overwritten", "[config]") {
  auto e = parse_err(R"({"llm": {"model": "a", "model": "b"}})");
  CHECK(e.path == "/llm/model");
  CHECK(e.message == R"(duplicate key "model" in llm)");

  e = parse_err(R"({"agents": {"sales": {}, "sales": {}}})");
  CHECK(e.path == "/agents/sales");

  e = parse_err(R"({"app": {"allowed_origins": [{"x": 1, "x": 2}]}})");
  CHECK(e.path == "/app/allowed_origins/0/x");

  e = parse_err(R"({"app": {}, "app": {}})");
  CHECK(e.path == "/app");
  CHECK(e.message == R"(duplicate key "app" at the top level)");
}

TEST_CASE("config: agent codes must be URL-safe", "[config]") {
  for (const char* code : {"Sales", "sales_team", "", "a b", "x234567890123456789012345678901234"}) {
    auto e = parse_err(std::string(R"({"agents": {")") + code + R"(": {}}})");
    CHECK(e.path == std::string("/agents/") + code);
    CHECK_THAT(e.message, ContainsSubstring("must be 1 to 32 characters of a-z, 0-9 and \"-\""));
  }
  parse_ok(R"({"app": {"default_agent": "x-2"}, "agents": {"x-2": {}}})");
}

TEST_CASE("config: default_agent must name an enabled agent", "[config]") {
  auto e = parse_err(R"({"agents": {"sales": {"enabled": false}, "support": {}}})");
  CHECK(e.path == "/app/default_agent");
  CHECK(e.message == R"(app.default_agent "sales" names a disabled agent (agents.sales.enabled is false))");

  e = parse_err(R"({"app": {"default_agent": "suport"}, "agents": {"support": {}, "sales": {}}})");
  CHECK(e.path == "/app/default_agent");
  CHECK(e.message ==
        R"(app.default_agent "suport" is not an agent; did you mean "support"? (enabled agents: sales, support))");

  e = parse_err(R"({"agents": {}})");
  CHECK(e.message == R"(app.default_agent "sales" is not an agent (no agent is enabled))");
}

TEST_CASE("config: allowed_origins keeps bare origins, lower-cased, without default ports", "[config]") {
  config c = parse_ok(R"({"app": {"allowed_origins": ["https://Shop.Example", "http://localhost:4321",
                                                       "http://127.0.0.1:8080", "https://[::1]:8443",
                                                       "https://www.shop.example:443", "http://shop.example:80"]}})");
  REQUIRE(c.app.allowed_origins.size() == 6);
  CHECK(c.app.allowed_origins[0] == "https://shop.example");
  CHECK(c.app.allowed_origins[1] == "http://localhost:4321");
  CHECK(c.app.allowed_origins[3] == "https://[::1]:8443");
  CHECK(c.app.allowed_origins[4] == "https://www.shop.example");  // default ports: as browsers send them
  CHECK(c.app.allowed_origins[5] == "http://shop.example");
}

TEST_CASE("config: allowed_origins rejects paths, other schemes and bad ports", "[config]") {
  for (const char* o : {"https://shop.example/", "https://shop.example/chat", "shop.example", "ftp://shop.example",
                        "https://", "https://shop.example:0", "https://shop.example:65536", "https://shop.example:",
                        "https://shop.example:080",
                        "https://a..b", "https://user@shop.example", "https://shop.example?x=1", "*",
                        "https://[::1", "https://shop example"}) {
    auto e = parse_err(std::string(R"({"app": {"allowed_origins": ["https://ok.example", ")") + o + R"("]}})");
    INFO(o);
    CHECK(e.path == "/app/allowed_origins/1");
    CHECK_THAT(e.message, ContainsSubstring("must be an origin like"));
  }
  auto e = parse_err(R"({"app": {"allowed_origins": ["https://a.example", "https://A.example"]}})");
  CHECK(e.path == "/app/allowed_origins/1");
  CHECK(e.message == R"(app.allowed_origins[1] repeats the origin "https://a.example")");
}

TEST_CASE("config: the Pinecone index name may be empty or null for the local index", "[config]") {
  CHECK(parse_ok(R"({"vector": {"pinecone": {"index_name": null}}})").vector.pinecone_index_name.empty());
  CHECK(parse_ok(R"({"vector": {"pinecone": {"index_name": ""}}})").vector.pinecone_index_name.empty());
  CHECK(parse_ok(R"({"vector": {"pinecone": {"index_name": "shop-01"}}})").vector.pinecone_index_name == "shop-01");
}

TEST_CASE("config: to_json writes every section, with agents as a map", "[config]") {
  auto j = nlohmann::json::parse(to_json(parse_ok("{}")));
  for (const char* k : {"app", "chat", "email", "logging", "vector", "embeddings", "llm", "ui", "limits", "budget",
                        "resilience", "offline", "personas", "agents"})
    CHECK(j.contains(k));
  CHECK(j["llm"]["history_tokens"] == 3000);
  CHECK(j["llm"]["timeout_ms"] == 30000);
  CHECK(j["llm"]["retries"] == 2);
  CHECK(j["agents"]["sales"]["llm"]["retries"] == 2);
  CHECK(j["budget"]["monthly_usd"] == 0);
  CHECK(j["resilience"]["breaker_cooldown_seconds"] == 30);
  REQUIRE(j["personas"].is_object());
  CHECK(j["personas"]["sales"]["name"] == "Sales assistant");
  CHECK(j["personas"]["sales"]["system_prompt"].get<std::string>().find("{{app_name}}") != std::string::npos);
  REQUIRE(j["agents"].is_object());
  CHECK(j["agents"]["sales"]["name"] == "Sales assistant");
  CHECK(j["agents"]["sales"]["enabled"] == true);
  CHECK(j["agents"]["sales"]["llm"]["model"] == "openai/gpt-oss-20b:free");
  CHECK(j["vector"]["pinecone"]["index_name"] == "");
  CHECK(j["app"]["allowed_origins"] == nlohmann::json::array());
}

TEST_CASE("config: parse_config(to_json(c)) round-trips exactly", "[config]") {
  auto text = GENERATE(as<std::string>{}, "{}",
                       R"({"app": {"name": "Brightleaf Gardens", "mode": "multi-tenant", "tenant": "brightleaf",
                            "default_agent": "support", "allowed_origins": ["https://brightleaf.example"]},
                          "chat": {"inactivity_minutes": 45, "input": {"submit_shortcut": "enter",
                                                                       "enter_inserts_newline": false}},
                          "llm": {"temperature": 1, "max_tokens": 300, "history_tokens": 0, "timeout_ms": 5000},
                          "vector": {"pinecone": {"index_name": "brightleaf"}},
                          "budget": {"monthly_usd": 19.99},
                          "resilience": {"breaker_failures": 2, "breaker_window_seconds": 10},
                          "offline": {"pricing": "From \u00a340 \"per\" visit."},
                          "personas": {"sales": {"name": "Advisor",
                                                 "system_prompt": "Sell for {{app_name}}.\nBe kind."},
                                       "support": {"name": "Help desk", "description": "Aftercare \u00e9t\u00e9",
                                                   "system_prompt": "Help."}},
                          "agents": {"sales": {"enabled": false},
                                     "support": {"name": "Help", "persona": "support",
                                                 "llm": {"temperature": 0.1, "model": "x/y", "retries": 5}}}})",
                       R"({"llm": {"temperature": -0.0}})");
  config c = parse_ok(text);
  std::string once = to_json(c);
  config again = parse_ok(once);
  CHECK(to_json(again) == once);
  CHECK(again.agents.size() == c.agents.size());
  CHECK(again.offline.pricing == c.offline.pricing);
  CHECK(again.llm.temperature == c.llm.temperature);
  CHECK(again.budget.monthly_usd == c.budget.monthly_usd);
  CHECK(again.resilience.breaker_window_seconds == c.resilience.breaker_window_seconds);
  REQUIRE(again.personas.size() == c.personas.size());
  for (std::size_t i = 0; i < c.personas.size(); ++i) {
    CHECK(again.personas[i].code == c.personas[i].code);
    CHECK(again.personas[i].name == c.personas[i].name);
    CHECK(again.personas[i].description == c.personas[i].description);
    CHECK(again.personas[i].system_prompt == c.personas[i].system_prompt);
  }
  for (std::size_t i = 0; i < c.agents.size(); ++i) {
    CHECK(again.agents[i].llm.history_tokens == c.agents[i].llm.history_tokens);
    CHECK(again.agents[i].llm.timeout_ms == c.agents[i].llm.timeout_ms);
    CHECK(again.agents[i].llm.retries == c.agents[i].llm.retries);
  }
}
