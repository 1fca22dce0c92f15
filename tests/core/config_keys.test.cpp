// Every salient.yaml key acts, or parse_config refuses it: keys and values of the seed design
// that nothing reads yet, logging.rotation and logging.retention's grammar, the chat.input keys
// that depend on each other, and the compiled JSON (to_json) that the functions read back.
#include "salient/config/config.h"

#include <string>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <nlohmann/json.hpp>

#include "config_parse.h"

using Catch::Matchers::ContainsSubstring;
using salient::config;
using salient::log_limit;
using salient::log_unit;
using salient::to_json;

TEST_CASE("config: email.mock_sales_recipient is email.sales_recipient's alias; both are refused", "[config]") {
  config c = parse_ok(R"({"email": {"mock_sales_recipient": "Sales@Example.com"}})");
  CHECK(c.email.sales_recipient == "Sales@Example.com");
  CHECK(c.email.mock_sales_recipient.empty());
  // The compiled JSON names it once, so the functions' second parse accepts it.
  CHECK(parse_ok(to_json(c)).email.sales_recipient == "Sales@Example.com");

  auto e = parse_err(R"({"email": {"sales_recipient": "a@example.com", "mock_sales_recipient": "b@example.com"}})");
  CHECK(e.path == "/email/mock_sales_recipient");
  CHECK(e.message == "give email.sales_recipient or its alias email.mock_sales_recipient, not both");
  CHECK(parse_err(R"({"email": {"sales_recipient": "not an address"}})").path == "/email/sales_recipient");
}

TEST_CASE("config: summaries' keys and the per-agent recipient", "[config]") {
  config c = parse_ok(R"({"app": {"country": "DE"}, "chat": {"inactivity_minutes": 45},
    "email": {"sales_recipient": "team@example.com"}, "summary": {"link_days": 7},
    "agents": {"sales": {}, "support": {"sales_recipient": "help@example.com"}}})");
  CHECK(c.app.country == "DE");
  CHECK(c.chat.inactivity_minutes == 45);
  CHECK(c.summary.link_days == 7);
  CHECK(c.summary.per_session_per_day == 5);
  CHECK(c.sales_recipient_of(c.agents[0]) == "team@example.com");
  CHECK(c.sales_recipient_of(c.agents[1]) == "help@example.com");
  CHECK(parse_err(R"({"app": {"country": "de"}})").path == "/app/country");
  CHECK(parse_err(R"({"app": {"country": "DEU"}})").path == "/app/country");
  CHECK(parse_err(R"({"chat": {"inactivity_minutes": 0}})").path == "/chat/inactivity_minutes");
  CHECK(parse_err(R"({"summary": {"link_days": 400}})").path == "/summary/link_days");
}

TEST_CASE("config: handoff.team is a list of people, per agent or shared", "[config]") {
  config c = parse_ok(R"({"handoff": {"team": [{"email": "Ana@Example.com", "name": "Ana"}]},
    "agents": {"sales": {}, "support": {"handoff": {"team": [{"email": "bo@example.com", "name": "Bo S."}]}}}})");
  REQUIRE(c.handoff.team.size() == 1);
  CHECK(c.handoff.team[0].email == "ana@example.com");  // compared with a reply's sender, lower case
  CHECK(c.handoff_team_of(c.agents[0])[0].name == "Ana");
  CHECK(c.handoff_team_of(c.agents[1])[0].email == "bo@example.com");
  CHECK(c.handoff.quiet_minutes == 15);
  CHECK(parse_ok(to_json(c)).handoff.team == c.handoff.team);
  CHECK(parse_ok("{}").handoff.team.empty());

  CHECK(parse_err(R"({"handoff": {"team": "ana@example.com"}})").path == "/handoff/team");
  CHECK(parse_err(R"({"handoff": {"team": [{"email": "nope", "name": "Ana"}]}})").path == "/handoff/team/0/email");
  CHECK(parse_err(R"({"handoff": {"team": [{"email": "a@example.com"}]}})").path == "/handoff/team/0/name");
  CHECK(parse_err(R"({"handoff": {"team": [{"email": "a@example.com", "name": "A\nBcc: x"}]}})").path ==
        "/handoff/team/0/name");
  CHECK(parse_err(R"({"handoff": {"team": [{"email": "a@example.com", "name": "A", "phone": "1"}]}})").path ==
        "/handoff/team/0/phone");
  auto twice = parse_err(R"({"handoff": {"team": [{"email": "a@example.com", "name": "A"},
                                                  {"email": "A@example.com", "name": "B"}]}})");
  CHECK(twice.path == "/handoff/team/1");
  CHECK(twice.message.find("repeats the address") != std::string::npos);
  CHECK(parse_err(R"({"agents": {"sales": {"handoff": {"team": [{}]}}}})").path == "/agents/sales/handoff/team/0/email");
  CHECK(parse_err(R"({"handoff": {"reply_days": 0}})").path == "/handoff/reply_days");
}

TEST_CASE("config: app.mode multi-tenant is refused: one deployment serves one tenant", "[config]") {
  auto e = parse_err(R"({"app": {"mode": "multi-tenant"}})");
  CHECK(e.path == "/app/mode");
  CHECK(e.message == R"(app.mode "multi-tenant" is not supported yet: one deployment serves one tenant, app.tenant, )"
                     "for now");
  CHECK(parse_ok(R"({"app": {"mode": "single-tenant"}})").app.mode == "single-tenant");
}

TEST_CASE("config: logging.rotation is a size or an age, logging.retention an age or a file count", "[config]") {
  struct good {
    const char* key;
    const char* text;
    log_limit parsed;
  };
  constexpr std::int64_t mb = 1024 * 1024, day = 86400;
  auto c = GENERATE_COPY(values<good>({
      {"rotation", "50 MB", {log_unit::bytes, 50 * mb}},
      {"rotation", "1 kb", {log_unit::bytes, 1024}},
      {"rotation", "2GB", {log_unit::bytes, 2048 * mb}},
      {"rotation", "  10 \\t Mb ", {log_unit::bytes, 10 * mb}},  // \t: a tab in the JSON
      {"rotation", "1024 GB", {log_unit::bytes, 1024 * 1024 * mb}},
      {"rotation", "1 minute", {log_unit::seconds, 60}},
      {"rotation", "90 Minutes", {log_unit::seconds, 5400}},
      {"rotation", "24 HOURS", {log_unit::seconds, day}},
      {"rotation", "1 day", {log_unit::seconds, day}},
      {"rotation", "1 week", {log_unit::seconds, 7 * day}},
      {"rotation", "3650 days", {log_unit::seconds, 3650 * day}},
      {"retention", "14 days", {log_unit::seconds, 14 * day}},
      {"retention", "2 weeks", {log_unit::seconds, 14 * day}},
      {"retention", "30 minutes", {log_unit::seconds, 1800}},
      {"retention", "10 files", {log_unit::files, 10}},
      {"retention", "1 File", {log_unit::files, 1}},
      {"retention", "10000 files", {log_unit::files, 10000}},
  }));
  std::string key = c.key;
  config parsed = parse_ok(R"({"logging": {")" + key + R"(": ")" + c.text + R"("}})");
  CHECK((key == "rotation" ? parsed.logging.rotation : parsed.logging.retention) == c.parsed);
}

TEST_CASE("config: logging.rotation and retention compile to the object form, which reads back", "[config]") {
  config c = parse_ok(R"({"logging": {"rotation": "1 day", "retention": "10 files"}})");
  auto j = nlohmann::json::parse(to_json(c))["logging"];
  CHECK(j == nlohmann::json::parse(R"({"level": "INFO", "path": "./logs/app.jsonl",
                                       "rotation": {"seconds": 86400}, "retention": {"files": 10}})"));
  auto defaults = nlohmann::json::parse(to_json(parse_ok("{}")))["logging"];
  CHECK(defaults["rotation"] == nlohmann::json::parse(R"({"bytes": 52428800})"));
  CHECK(defaults["retention"] == nlohmann::json::parse(R"({"seconds": 1209600})"));

  config again = parse_ok(R"({"logging": {"rotation": {"bytes": 1024}, "retention": {"seconds": 60}}})");
  CHECK(again.logging.rotation == log_limit{log_unit::bytes, 1024});
  CHECK(again.logging.retention == log_limit{log_unit::seconds, 60});
}

TEST_CASE("config: a malformed or out-of-range rotation or retention is refused with the accepted forms",
          "[config]") {
  struct bad {
    const char* logging;
    const char* path;
    const char* message;
  };
  const std::string rotation_forms =
      R"(logging.rotation must be a size, "<n> KB|MB|GB" (1 KB = 1024 bytes), or the age at which the file is )"
      R"(rotated, "<n> minutes|hours|days|weeks", with <n> a whole number, got )";
  const std::string retention_forms =
      R"(logging.retention must be the age at which rotated files are deleted, "<n> minutes|hours|days|weeks", or )"
      R"(how many are kept, "<n> files", with <n> a whole number, got )";
  auto c = GENERATE_COPY(values<bad>({
      {R"({"rotation": "50"})", "/logging/rotation", ""},
      {R"({"rotation": "MB"})", "/logging/rotation", ""},
      {R"({"rotation": "50 megabytes"})", "/logging/rotation", ""},
      {R"({"rotation": "1.5 GB"})", "/logging/rotation", ""},
      {R"({"rotation": "-5 MB"})", "/logging/rotation", ""},
      {R"({"rotation": "10 files"})", "/logging/rotation", ""},
      {R"({"rotation": "50 MB daily"})", "/logging/rotation", ""},
      {R"({"rotation": ""})", "/logging/rotation", ""},
      {R"({"rotation": "0 MB"})", "/logging/rotation", R"(logging.rotation must be from 1 KB to 1024 GB, got "0 MB")"},
      {R"({"rotation": "1025 GB"})", "/logging/rotation",
       R"(logging.rotation must be from 1 KB to 1024 GB, got "1025 GB")"},
      {R"({"rotation": "9999999999 MB"})", "/logging/rotation",
       R"(logging.rotation must be from 1 KB to 1024 GB, got "9999999999 MB")"},
      {R"({"rotation": "3651 days"})", "/logging/rotation",
       R"(logging.rotation must be from 1 minute to 3650 days, got "3651 days")"},
      {R"({"retention": "0 minutes"})", "/logging/retention",
       R"(logging.retention must be from 1 minute to 3650 days, got "0 minutes")"},
      {R"({"retention": "10001 files"})", "/logging/retention",
       R"(logging.retention must be from 1 to 10000 files, got "10001 files")"},
      {R"({"retention": "50 MB"})", "/logging/retention", ""},
      {R"({"retention": "forever"})", "/logging/retention", ""},
      {R"({"rotation": {"bytes": 5}})", "/logging/rotation/bytes",
       "logging.rotation.bytes must be an integer from 1024 to 1099511627776, got 5"},
      {R"({"retention": {"files": 2.5}})", "/logging/retention/files",
       "logging.retention.files must be an integer from 1 to 10000, got 2.5"},
  }));
  auto e = parse_err(std::string(R"({"logging": )") + c.logging + "}");
  CHECK(e.path == c.path);
  if (*c.message) CHECK(e.message == c.message);
  else CHECK_THAT(e.message, ContainsSubstring(e.path == "/logging/rotation" ? rotation_forms : retention_forms));

  // Not a string: the same forms, and the compiled one.
  e = parse_err(R"({"logging": {"rotation": 50}})");
  CHECK(e.message == rotation_forms.substr(0, rotation_forms.find(", with")) +
                         R"( (compiled: {"bytes": N} or {"seconds": N}), got 50)");
  e = parse_err(R"({"logging": {"retention": {"bytes": 1024}}})");
  CHECK_THAT(e.message, ContainsSubstring(R"((compiled: {"seconds": N} or {"files": N}), got a mapping)"));
  parse_err(R"({"logging": {"rotation": null}})");
  parse_err(R"({"logging": {"rotation": {"bytes": 1024, "seconds": 60}}})");
}

TEST_CASE("config: enter_inserts_newline follows submit_shortcut unless given", "[config]") {
  auto input = [](const char* json) {
    return parse_ok(std::string(R"({"chat": {"input": )") + json + "}}").chat.input;
  };
  CHECK(input("{}").enter_inserts_newline);
  CHECK(input(R"({"submit_shortcut": "ctrl+enter"})").enter_inserts_newline);
  CHECK_FALSE(input(R"({"submit_shortcut": "enter"})").enter_inserts_newline);
  CHECK_FALSE(input(R"({"submit_shortcut": "enter", "enter_inserts_newline": false})").enter_inserts_newline);
  CHECK_FALSE(input(R"({"enter_inserts_newline": false})").enter_inserts_newline);
}

TEST_CASE("config: Enter cannot both send and add a line", "[config]") {
  auto e = parse_err(R"({"chat": {"input": {"submit_shortcut": "enter", "enter_inserts_newline": true}}})");
  CHECK(e.path == "/chat/input/enter_inserts_newline");
  CHECK(e.message == R"(chat.input.enter_inserts_newline cannot be true with submit_shortcut "enter": Enter cannot )"
                     R"(both send and add a line (leave enter_inserts_newline out, or use ctrl+enter))");
}

TEST_CASE("config: with provider pinecone the embeddings model defaults to Pinecone's", "[config]") {
  CHECK(parse_ok(R"({"embeddings": {"provider": "pinecone"}})").embeddings.model == "llama-text-embed-v2");
  CHECK(parse_ok(R"({"embeddings": {"provider": "pinecone", "model": "m"}})").embeddings.model == "m");
  CHECK(parse_ok(R"({"embeddings": {"provider": "openai"}})").embeddings.model == "text-embedding-3-small");
}

TEST_CASE("config: to_json writes every section, with agents as a map", "[config]") {
  auto j = nlohmann::json::parse(to_json(parse_ok("{}")));
  for (const char* k : {"app", "chat", "email", "summary", "handoff", "otp", "logging", "vector", "embeddings", "llm", "ui",
                        "rate_limits", "limits", "budget", "rag", "resilience", "offline", "personas", "agents", "admin"})
    CHECK(j.contains(k));
  CHECK(j.size() == 20);
  CHECK(j["admin"]["emails"] == nlohmann::json::array());
  CHECK(j["admin"]["session_hours"] == 12);
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
                       R"({"app": {"name": "Brightleaf Gardens", "mode": "single-tenant", "tenant": "brightleaf",
                            "default_agent": "support", "allowed_origins": ["https://brightleaf.example"]},
                          "chat": {"max_message_chars": 45, "input": {"submit_shortcut": "enter"}},
                          "logging": {"rotation": "2 GB", "retention": "30 files"},
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
