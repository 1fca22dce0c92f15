// parse_config on values: each bad value with its message and JSON pointer, unknown and
// duplicate keys, origins. config.test.cpp has the sections; config_keys.test.cpp the keys.
#include "salient/config/config.h"

#include <string>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "config_parse.h"

using Catch::Matchers::ContainsSubstring;
using salient::config;

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
      {R"({"app": {"mode": "single"}})", "/app/mode",
       R"(app.mode must be one of single-tenant, got "single"; did you mean "single-tenant"?)"},
      {R"({"app": {"tenant": "Acme Inc"}})", "/app/tenant",
       R"(app.tenant must be 1 to 64 characters of a-z, 0-9 and "-", got "Acme Inc")"},
      {R"({"app": {"allowed_origins": "https://a.example"}})", "/app/allowed_origins",
       R"(app.allowed_origins must be a list of origins, got "https://a.example")"},
      {R"({"chat": {"max_message_chars": 100001}})", "/chat/max_message_chars",
       "chat.max_message_chars must be an integer from 1 to 100000, got 100001"},
      {R"({"chat": {"input": {"debounce_ms": -1}}})", "/chat/input/debounce_ms",
       "chat.input.debounce_ms must be an integer from 0 to 5000, got -1"},
      {R"({"chat": {"input": {"submit_shortcut": "shift+enter"}}})", "/chat/input/submit_shortcut",
       R"(chat.input.submit_shortcut must be one of ctrl+enter, enter, got "shift+enter")"},
      {R"({"chat": {"input": {"enter_inserts_newline": "yes"}}})", "/chat/input/enter_inserts_newline",
       R"(chat.input.enter_inserts_newline must be true or false, got "yes")"},
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
