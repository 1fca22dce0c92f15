// The field tables (shared/config/fields.cpp) that validation, to_json and docs/CONFIG.md come
// from: each row's accessor fits its kind, every field survives to_json and back, and
// docs/CONFIG.md holds the reference tables config_reference() renders from them.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <variant>

#include <catch2/catch_test_macros.hpp>

#include "config/fields.h"
#include "config_parse.h"
#include "salient/config/config.h"

using namespace salient;
using detail::field;
using detail::field_kind;
using detail::value_ptr;

namespace {

/// The value_ptr alternative each kind's accessor must give.
std::size_t expected_index(field_kind k) {
  switch (k) {
    case field_kind::text:
    case field_kind::optional_text:
    case field_kind::code:
    case field_kind::choice: return 1;
    case field_kind::integer: return 2;
    case field_kind::number: return 3;
    case field_kind::flag: return 4;
    case field_kind::origins:
    case field_kind::emails: return 5;
    case field_kind::rotation:
    case field_kind::retention: return 6;
    case field_kind::llm: return 7;
    case field_kind::team: return 8;
  }
  return 99;
}

template <class T>
void check_rows(std::span<const field<T>> fields) {
  T owner{};
  for (const field<T>& f : fields) {
    INFO(f.key);
    CHECK(detail::locate(f, owner).index() == expected_index(f.kind));
    if (f.kind == field_kind::code) CHECK(f.max > 0);
    if (f.kind == field_kind::integer || f.kind == field_kind::number) CHECK(f.lo < f.hi);
  }
}

/// The values equal (llm mappings are compared field by field instead).
bool same(const value_ptr& a, const value_ptr& b);

/// Every field of `fields` in `a` equals the one in `b` (differs, with `differ`).
template <class T>
void compare(std::span<const field<T>> fields, T& a, T& b, bool differ, const std::string& where) {
  for (const field<T>& f : fields) {
    // An alias is moved into the key it names when read (config.cpp), so it never survives as itself.
    if (f.key == "email.mock_sales_recipient") continue;
    if (differ && f.kind == field_kind::choice && f.choices.find('|') == std::string_view::npos) continue;
    INFO(where << f.key);
    value_ptr pa = detail::locate(f, a), pb = detail::locate(f, b);
    if (f.kind == field_kind::llm)
      compare(detail::llm_fields, **std::get_if<llm_settings*>(&pa), **std::get_if<llm_settings*>(&pb), differ,
              where + std::string(f.key) + ".");
    else CHECK(same(pa, pb) != differ);
  }
}

bool same(const value_ptr& a, const value_ptr& b) {
  return std::visit(
      [&](auto pa) {
        using P = decltype(pa);
        if constexpr (std::is_same_v<P, std::monostate> || std::is_same_v<P, llm_settings*>) return true;
        else return *pa == **std::get_if<P>(&b);
      },
      a);
}

// A value other than the default for every field of every table (checked below), so that a
// row added without a test value fails here.
constexpr std::string_view every_field = R"({
  "app": {"name": "Brightleaf", "mode": "single-tenant", "tenant": "brightleaf", "default_agent": "support",
          "allowed_origins": ["https://brightleaf.example"], "country": "GB"},
  "chat": {"inactivity_minutes": 5, "max_message_chars": 123, "input": {"debounce_ms": 0, "submit_shortcut": "enter",
                                               "enter_inserts_newline": false}},
  "email": {"from": "hello@mg.brightleaf.example", "from_name": "Brightleaf team", "brand_color": "#0a7d4f",
            "sales_recipient": "sales@brightleaf.example"},
  "summary": {"link_days": 3, "per_session_per_day": 2},
  "handoff": {"team": [{"email": "Ana@Brightleaf.example", "name": "Ana"}], "response_time": "soon",
              "reply_days": 2, "quiet_minutes": 3, "notify_minutes": 4, "per_session_per_day": 5},
  "otp": {"codes_per_ip_per_hour": 3, "daily_emails": 50},
  "admin": {"emails": ["Owner@Brightleaf.example"], "session_hours": 2, "codes_per_ip_per_hour": 4, "daily_emails": 9},
  "logging": {"level": "DEBUG", "path": "logs/x.jsonl", "rotation": "1 day", "retention": "10 files"},
  "vector": {"pinecone": {"index_name": "shop-1", "host": "https://shop-1.svc.pinecone.io",
                          "namespace_per_agent": true, "integrated": true, "text_field": "body"}},
  "embeddings": {"provider": "pinecone", "model": "m/e", "dimensions": 512},
  "llm": {"provider": "openrouter", "model": "m/x", "temperature": 1.5, "max_tokens": 99, "history_tokens": 7,
          "timeout_ms": 1000, "retries": 0},
  "ui": {"sse_enabled": false, "allow_basic_html": false},
  "limits": {"max_body_bytes": 2048, "stream_ttl_seconds": 5, "upstream_timeout_ms": 100},
  "budget": {"monthly_usd": 9.5},
  "rate_limits": {"messages_per_minute": {"ip": 1, "session": 2, "tenant": 3},
                  "tokens_per_day": {"ip": 4, "session": 5, "tenant": 6},
                  "emails_per_hour": {"ip": 7, "session": 8, "tenant": 9}},
  "rag": {"enabled": false, "top_k": 20, "timeout_ms": 100},
  "resilience": {"breaker_failures": 1, "breaker_window_seconds": 1, "breaker_cooldown_seconds": 1},
  "offline": {"greeting": "G", "pricing": "P", "contact": "C", "human": "H", "fallback": "F"},
  "personas": {"support": {"name": "Help", "description": "D", "system_prompt": "Help."}},
  "agents": {"support": {"name": "Helper", "enabled": true, "persona": "support", "sales_recipient": "s@b.example",
                         "handoff": {"team": [{"email": "bo@b.example", "name": "Bo"}]},
                         "rate_limits": {"messages_per_minute": {"ip": 0, "session": 0, "tenant": 0},
                                         "tokens_per_day": {"ip": 0, "session": 0, "tenant": 0},
                                         "emails_per_hour": {"ip": 0, "session": 0, "tenant": 0}},
                         "llm": {"provider": "openrouter", "model": "m/y", "temperature": 0.1, "max_tokens": 5,
                                 "history_tokens": 1, "timeout_ms": 2000, "retries": 5}}}
})";

}  // namespace

TEST_CASE("config: each field's accessor fits its kind", "[config]") {
  check_rows(detail::config_fields);
  check_rows(detail::llm_fields);
  check_rows(detail::persona_fields);
  check_rows(detail::agent_fields);
  check_rows(detail::offline_fields);
}

TEST_CASE("config: every field survives to_json and parse_config", "[config]") {
  config c = parse_ok(std::string(every_field));
  config defaults = parse_ok("{}");
  compare(detail::config_fields, c, defaults, /*differ=*/true, "");
  // The persona and the agent are new: their fields differ from a blank one's.
  persona_config blank_persona;
  compare(detail::persona_fields, c.personas[0], blank_persona, true, "personas.support.");
  agent_config blank_agent;
  blank_agent.enabled = false;
  compare(detail::agent_fields, c.agents[0], blank_agent, true, "agents.support.");
  compare(detail::offline_fields, c.offline, defaults.offline, true, "offline.");

  std::string once = to_json(c);
  config again = parse_ok(once);
  CHECK(to_json(again) == once);
  compare(detail::config_fields, again, c, false, "");
  compare(detail::persona_fields, again.personas[0], c.personas[0], false, "personas.support.");
  compare(detail::agent_fields, again.agents[0], c.agents[0], false, "agents.support.");
  compare(detail::offline_fields, again.offline, c.offline, false, "offline.");
}

namespace {

/// The generated blocks of a Markdown text, by section: marker line to end marker, inclusive.
std::map<std::string, std::string> blocks(const std::string& text, std::vector<std::string>& order) {
  constexpr std::string_view open = "<!-- generated: salient config reference ", end = "<!-- end generated -->\n";
  std::map<std::string, std::string> out;
  for (std::size_t at = text.find(open); at != std::string::npos; at = text.find(open, at + 1)) {
    std::size_t name_end = text.find(" -->", at);
    std::size_t stop = text.find(end, at);
    REQUIRE(name_end != std::string::npos);
    REQUIRE(stop != std::string::npos);
    std::string name = text.substr(at + open.size(), name_end - at - open.size());
    CHECK_FALSE(out.contains(name));
    out[name] = text.substr(at, stop + end.size() - at);
    order.push_back(name);
  }
  return out;
}

}  // namespace

TEST_CASE("config: docs/CONFIG.md holds the reference tables the field tables give", "[config]") {
  std::ifstream in(SALIENT_CONFIG_DOC, std::ios::binary);
  REQUIRE(in);
  std::stringstream doc;
  doc << in.rdbuf();
  std::vector<std::string> doc_order, expected_order;
  auto in_doc = blocks(doc.str(), doc_order);
  auto expected = blocks(config_reference(), expected_order);
  REQUIRE(expected.size() >= 14);
  CHECK(doc_order == expected_order);
  for (const auto& [name, block] : expected) {
    INFO("docs/CONFIG.md's \"" << name << "\" block differs: paste it from `salient config reference`");
    CHECK(in_doc[name] == block);
  }
}

TEST_CASE("config: the reference shows bounds, choices, defaults and refusals", "[config]") {
  std::string md = config_reference();
  for (const char* row : {
           "| `max_message_chars` | integer | `4000` | 1 … 100000; the longest visitor message accepted |",
           "| `level` | string | `INFO` | `DEBUG` \\| `INFO` \\| `WARN` \\| `ERROR`; entries below it are dropped",
           "| `rotation` | string | `50 MB` |",
           "| `retention` | string | `14 days` |",
           "| `name` | string | Salient demo |",
           "(`multi-tenant` is not supported yet: one deployment serves one tenant, app.tenant, for now)",
           "| `system_prompt` | string | — | **required**;",
           "| `inactivity_minutes` | integer | `30` | 1 … 10080; a conversation with no new message",
           "| `link_days` | integer | `14` | 1 … 365;",
           "| `brand_color` | string | `#2563eb` |",
       })
    CHECK(md.find(row) != std::string::npos);
}
