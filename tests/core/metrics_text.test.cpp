// GET /metrics' renderings (shared/flows/admin/metrics_text.h): every family with HELP and TYPE,
// label values escaped, per-instance series labelled with the instance, bad entries skipped (never
// a throw), and the JSON's documented shape.
#include <catch2/catch_test_macros.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "flows/admin/metrics_text.h"

using salient::detail::json;

namespace {

json store_doc() {
  return json::parse(R"({
    "llm": [{"agent": "sales", "model": "openai/gpt-4o-mini", "requests": 12, "prompt_tokens": 3400,
             "completion_tokens": 560, "cost_usd": 0.0123}],
    "first_token_ms": {"count": 10, "p50": 420, "p90": 900.5, "p99": 1500},
    "answer_ms": {"count": 0, "p50": null, "p90": null, "p99": null},
    "emails": [{"kind": "otp", "status": "sent", "count": 4}, {"kind": "summary", "status": "failed", "count": 1}],
    "conversations": 7, "messages": 30, "leads": 2,
    "handoffs": [{"status": "answered", "count": 1}],
    "rate_limited_ok": true})");
}

json instance_doc() {
  return json::parse(R"({"instance": "0a1b2c3d4e5f6071", "started_ms": 1765119600123,
    "requests": [{"module": "chat", "route": "/a/{agent}/chat", "status": 200, "count": 5},
                 {"module": "chat", "route": "/a/{agent}/chat", "status": 429, "count": 2}],
    "upstream_errors": [{"upstream": "openrouter", "kind": "timeout", "count": 1}],
    "rate_limited": [{"route": "/a/{agent}/chat", "count": 2}]})");
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines_of(text))
    if (l == line) return true;
  return false;
}

const char* const families[][2] = {
    {"salient_info", "gauge"},
    {"salient_llm_requests_total", "counter"},
    {"salient_llm_tokens_total", "counter"},
    {"salient_llm_cost_usd_total", "counter"},
    {"salient_first_token_ms", "gauge"},
    {"salient_first_token_ms_samples", "gauge"},
    {"salient_answer_ms", "gauge"},
    {"salient_answer_ms_samples", "gauge"},
    {"salient_emails_total", "counter"},
    {"salient_conversations_total", "counter"},
    {"salient_messages_total", "counter"},
    {"salient_leads_total", "counter"},
    {"salient_handoffs_total", "counter"},
    {"salient_instance_requests_total", "counter"},
    {"salient_instance_upstream_errors_total", "counter"},
    {"salient_instance_rate_limited_total", "counter"},
    {"salient_instance_started_seconds", "gauge"},
};

}  // namespace

TEST_CASE("metrics_text: every family has HELP and TYPE, the store's and the instance's samples", "[metrics_text]") {
  std::string text = salient::metrics_prometheus(store_doc(), instance_doc(), "acme");
  for (auto [name, type] : families) {
    INFO(name);
    CHECK(has_line(text, std::string("# TYPE ") + name + " " + type));
    bool help = false;
    for (const auto& l : lines_of(text)) help = help || l.starts_with(std::string("# HELP ") + name + " ");
    CHECK(help);
  }
  CHECK(has_line(text, R"(salient_info{tenant="acme"} 1)"));
  CHECK(has_line(text, R"(salient_llm_requests_total{agent="sales",model="openai/gpt-4o-mini"} 12)"));
  CHECK(has_line(text, R"(salient_llm_tokens_total{agent="sales",model="openai/gpt-4o-mini",kind="prompt"} 3400)"));
  CHECK(has_line(text, R"(salient_llm_tokens_total{agent="sales",model="openai/gpt-4o-mini",kind="completion"} 560)"));
  CHECK(has_line(text, R"(salient_llm_cost_usd_total{agent="sales",model="openai/gpt-4o-mini"} 0.0123)"));
  CHECK(has_line(text, R"(salient_first_token_ms{quantile="0.5"} 420)"));
  CHECK(has_line(text, R"(salient_first_token_ms{quantile="0.9"} 900.5)"));
  CHECK(has_line(text, R"(salient_first_token_ms{quantile="0.99"} 1500)"));
  CHECK(has_line(text, "salient_first_token_ms_samples 10"));
  CHECK(has_line(text, "salient_answer_ms_samples 0"));
  CHECK(text.find("salient_answer_ms{") == std::string::npos);  // no samples: no quantiles
  CHECK(has_line(text, R"(salient_emails_total{kind="otp",status="sent"} 4)"));
  CHECK(has_line(text, R"(salient_emails_total{kind="summary",status="failed"} 1)"));
  CHECK(has_line(text, "salient_conversations_total 7"));
  CHECK(has_line(text, "salient_messages_total 30"));
  CHECK(has_line(text, "salient_leads_total 2"));
  CHECK(has_line(text, R"(salient_handoffs_total{status="answered"} 1)"));
  CHECK(text.back() == '\n');
}

TEST_CASE("metrics_text: per-instance series carry the instance label, and say so in their HELP", "[metrics_text]") {
  std::string text = salient::metrics_prometheus(store_doc(), instance_doc(), "acme");
  const std::string i = R"(instance="0a1b2c3d4e5f6071")";
  CHECK(has_line(text, "salient_instance_requests_total{" + i + R"(,module="chat",route="/a/{agent}/chat",status="200"} 5)"));
  CHECK(has_line(text, "salient_instance_requests_total{" + i + R"(,module="chat",route="/a/{agent}/chat",status="429"} 2)"));
  CHECK(has_line(text, "salient_instance_upstream_errors_total{" + i + R"(,upstream="openrouter",kind="timeout"} 1)"));
  CHECK(has_line(text, "salient_instance_rate_limited_total{" + i + R"(,route="/a/{agent}/chat"} 2)"));
  CHECK(has_line(text, "salient_instance_started_seconds{" + i + "} 1765119600.123"));
  for (const auto& l : lines_of(text))
    if (l.starts_with("# HELP salient_instance_")) CHECK(l.find("per instance") != std::string::npos);
}

TEST_CASE("metrics_text: label values escape backslash, double quote and newline", "[metrics_text]") {
  json store = json::parse(R"({"llm": [{"agent": "a\\b", "model": "say \"hi\"\nbye", "requests": 1}]})");
  std::string text = salient::metrics_prometheus(store, json(), "t\"x");
  CHECK(has_line(text, R"(salient_llm_requests_total{agent="a\\b",model="say \"hi\"\nbye"} 1)"));
  CHECK(has_line(text, R"(salient_info{tenant="t\"x"} 1)"));
  for (const auto& l : lines_of(text)) CHECK((l.starts_with("#") || l.starts_with("salient_")));
}

TEST_CASE("metrics_text: bad entries are skipped, the rest rendered; odd documents never throw", "[metrics_text]") {
  json store = json::parse(R"({
    "llm": [{"agent": "sales", "requests": 3}, "nope", {"agent": "sales", "model": "m", "requests": -1},
            {"agent": "sales", "model": "m", "requests": "many"}, {"agent": "ok", "model": "m", "requests": 2}],
    "first_token_ms": "fast", "emails": {"kind": "otp"}, "conversations": "seven", "messages": -3,
    "handoffs": [{"count": 2}, {"status": "open", "count": 1}, {"status": "open", "count": 9}]})");
  json instance = json::parse(R"({"instance": "i-1", "started_ms": "yesterday",
    "requests": [{"module": "chat", "route": "other", "count": 1}, {"module": "chat", "route": "other", "status": 404, "count": 1.5e0},
                 {"module": null, "route": "x", "status": 200, "count": 1}, 7],
    "upstream_errors": "lots", "rate_limited": [{"route": "", "count": 1}]})");
  std::string text = salient::metrics_prometheus(store, instance, "acme");
  CHECK(has_line(text, R"(salient_llm_requests_total{agent="ok",model="m"} 2)"));
  CHECK(text.find(R"(agent="sales")") == std::string::npos);
  CHECK(text.find("\nsalient_conversations_total ") == std::string::npos);
  CHECK(text.find("\nsalient_messages_total ") == std::string::npos);
  CHECK(has_line(text, R"(salient_handoffs_total{status="open"} 1)"));  // the duplicate series is dropped
  CHECK(text.find(R"(salient_handoffs_total{status="open"} 9)") == std::string::npos);
  CHECK(has_line(text, R"(salient_instance_requests_total{instance="i-1",module="chat",route="other",status="404"} 1.5)"));
  CHECK(text.find(R"(route="x")") == std::string::npos);
  CHECK(text.find("salient_instance_rate_limited_total{") == std::string::npos);
  CHECK(text.find("salient_instance_started_seconds{") == std::string::npos);

  // Not objects at all, or an instance without an id: every family still there, no samples.
  for (const json& odd : {json(), json::array({1, 2}), json("x"), json(42), json::parse(R"({"instance": 5})")}) {
    std::string t = salient::metrics_prometheus(odd, odd, "");
    for (auto [name, type] : families) CHECK(has_line(t, std::string("# TYPE ") + name + " " + type));
    CHECK(t.find("instance=") == std::string::npos);
    json j = json::parse(salient::metrics_json(odd, odd, ""));
    CHECK(j["store"].is_null() == !odd.is_object());
    CHECK(j["instance"].is_null());
  }
}

TEST_CASE("metrics_text: the JSON rendering has the documented shape, cleaned", "[metrics_text]") {
  json j = json::parse(salient::metrics_json(store_doc(), instance_doc(), "acme"));
  CHECK(j["tenant"] == "acme");
  const json& s = j["store"];
  REQUIRE(s.is_object());
  CHECK(s["llm"] == json::parse(R"([{"agent":"sales","model":"openai/gpt-4o-mini","requests":12,"prompt_tokens":3400,
                                     "completion_tokens":560,"cost_usd":0.0123}])"));
  CHECK(s["first_token_ms"] == json::parse(R"({"count":10,"p50":420,"p90":900.5,"p99":1500})"));
  CHECK(s["answer_ms"] == json::parse(R"({"count":0,"p50":null,"p90":null,"p99":null})"));
  CHECK(s["emails"].size() == 2);
  CHECK(s["conversations"] == 7);
  CHECK(s["messages"] == 30);
  CHECK(s["leads"] == 2);
  CHECK(s["handoffs"] == json::parse(R"([{"status":"answered","count":1}])"));
  CHECK(!s.contains("rate_limited_ok"));
  CHECK(j["instance"] == instance_doc());

  json bad = json::parse(R"({"llm": [{"agent": "x"}], "emails": [{"kind": "otp", "status": "sent"}]})");
  json k = json::parse(salient::metrics_json(bad, json::object(), "acme"));
  CHECK(k["store"]["llm"].empty());
  CHECK(k["store"]["emails"].empty());
  CHECK(k["store"]["conversations"] == 0);
  CHECK(k["instance"].is_null());
}
