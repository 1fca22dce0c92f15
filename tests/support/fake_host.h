#pragma once
// A scripted fake host for core tests: it drives a salient::instance exactly as the JS driver
// does (start, drain next() until wait/done, feed effect results) and records every step, so
// a test can assert the exact upstream requests a flow emits and the exact response it writes.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "salient/core/envelope.h"
#include "salient/core/multipart.h"
#include "salient/runtime/instance.h"
#include "salient/http/stream_token.h"

#include "effect_doc.h"

namespace salient::testing {

using nlohmann::json;

inline constexpr const char* test_secret = "test-secret-0123456789abcdef0123456789";
inline constexpr std::int64_t test_now_ms = 1763800000000;  // 2025-11-22T08:26:40Z
inline constexpr const char* test_store = "http://store.test";
inline constexpr const char* test_turn = "019a9b4e-0000-7000-8000-000000000001";

/// A stream URL the stream function accepts at test_now_ms: test_turn, signed, 60 s left.
inline std::string signed_stream_url(bool json_events = true, const std::string& agent = "sales") {
  return "/a/" + agent + "/events/stream?stream_id=" +
         percent_encode(sign_stream_id(test_secret, agent, test_turn, test_now_ms / 1000 + 60)) +
         (json_events ? "&format=json" : "");
}

/// The env of a deployment with a model: a key, and OpenRouter's base URL at llm.test.
inline json llm_test_env() {
  return {{"SALIENT_STREAM_SECRET", test_secret}, {"SUPABASE_URL", test_store},
          {"OPENROUTER_API_KEY", "sk-or-test-key"}, {"OPENROUTER_BASE_URL", "http://llm.test/api/v1"}};
}

/// Steps one request produced, in order, with the response assembled.
struct exchange_log {
  std::uint32_t handle = 0;
  std::vector<json> effects;        ///< effect documents (id, method, url, headers, body…)
  std::vector<std::uint32_t> cancelled;
  std::vector<json> logs;
  std::vector<std::string> order;   ///< step names in order: "effect", "respond", "write", …
  int status = 0;
  header_list headers;
  std::string body;
  bool done = false;

  std::string header(std::string_view name) const { return std::string(find_header(headers, name)); }
  const json& last_effect() const {
    INFO("response so far: " << status << " " << body);
    REQUIRE_FALSE(effects.empty());
    return effects.back();
  }
};

/// The arguments of the request's last effect, which must be the finish_turn that stores the answer.
inline json finish_args(const exchange_log& log) {
  const json& e = log.last_effect();
  REQUIRE(e["url"] == "http://store.test/rest/v1/rpc/salient_finish_turn");
  return json::parse(e["body"].get<std::string>());
}

/// The fields of a Mailgun effect's multipart body, by name.
inline std::map<std::string, std::string> mail_fields(const json& effect) {
  std::string type;
  for (const auto& h : effect["headers"])
    if (h[0] == "content-type") type = h[1];
  auto parts = parse_multipart(effect["body"].get<std::string>(), type);
  REQUIRE(parts.ok());
  std::map<std::string, std::string> out;
  for (auto& p : *parts) out[p.name] = p.value;
  return out;
}

class fake_host {
 public:
  explicit fake_host(function_entry entry, json config = json::object(), json env = default_env())
      : inst_(entry) {
    auto r = inst_.configure(json{{"config", config}, {"env", env}}.dump());
    REQUIRE(r.ok());
  }

  /// Loads a local knowledge index (knowledge.h), as the host does after configure.
  void load_knowledge(std::string bytes) { REQUIRE(inst_.load_knowledge(std::move(bytes)).ok()); }

  static json default_env() {
    return {{"SALIENT_STREAM_SECRET", test_secret}, {"SUPABASE_URL", test_store}};
  }

  /// Headers may be given as an object ({"name": "value"}) or as [[name, value], …].
  static json head(std::string method, std::string url, json headers = json::array(), std::int64_t now = test_now_ms) {
    if (headers.is_object()) {
      json pairs = json::array();
      for (auto& [k, v] : headers.items()) pairs.push_back(json::array({k, v}));
      headers = std::move(pairs);
    }
    return {{"method", std::move(method)},
            {"url", std::move(url)},
            {"headers", std::move(headers)},
            {"now_ms", now},
            {"request_id", "req-1"},
            {"entropy", "00000000000000000000000000000000000000000000000000000000000000aa"}};
  }

  exchange_log start(const json& head_doc, std::string body = {}) {
    exchange_log log;
    log.handle = inst_.start(head_doc.dump(), body);
    REQUIRE(log.handle != 0);
    drain(log);
    return log;
  }

  /// Feeds a complete response for effect `id` (head, body in one chunk, end).
  void reply(exchange_log& log, std::uint32_t id, int status, std::string body,
             header_list headers = {{"content-type", "application/json"}}) {
    exchange* ex = inst_.find(log.handle);
    REQUIRE(ex != nullptr);
    ex->feed_head(id, {status, std::move(headers)});
    if (!body.empty()) ex->feed_chunk(id, body);
    ex->feed_end(id);
    drain(log);
  }

  /// A streaming response in steps: its head, pieces of body, its end.
  void feed_head(exchange_log& log, std::uint32_t id, int status, header_list headers = {},
                 std::int64_t at_ms = 0) {
    exchange* ex = inst_.find(log.handle);
    REQUIRE(ex != nullptr);
    ex->feed_head(id, {status, std::move(headers), at_ms});
    drain(log);
  }
  void feed_chunk(exchange_log& log, std::uint32_t id, std::string_view bytes) {
    exchange* ex = inst_.find(log.handle);
    REQUIRE(ex != nullptr);
    ex->feed_chunk(id, bytes);
    drain(log);
  }
  void feed_end(exchange_log& log, std::uint32_t id) {
    exchange* ex = inst_.find(log.handle);
    REQUIRE(ex != nullptr);
    ex->feed_end(id);
    drain(log);
  }

  void fail(exchange_log& log, std::uint32_t id, effect_failure_kind kind) {
    exchange* ex = inst_.find(log.handle);
    REQUIRE(ex != nullptr);
    ex->feed_failure(id, {kind, "scripted failure"});
    drain(log);
  }

  void cancel(exchange_log& log) {
    exchange* ex = inst_.find(log.handle);
    REQUIRE(ex != nullptr);
    ex->cancel();
    drain(log);
  }

  instance& inst() { return inst_; }

 private:
  void drain(exchange_log& log) {
    while (exchange* ex = inst_.find(log.handle)) {
      step s = ex->next();
      switch (s.kind) {
        case step_kind::wait: return;
        case step_kind::done:
          log.order.push_back("done");
          log.done = true;
          inst_.release(log.handle);
          return;
        case step_kind::effect:
          log.order.push_back("effect");
          log.effects.push_back(effect_doc(s.data));
          // The host sends the body as bytes, which fetch gives no content-type of its own.
          if (log.effects.back().contains("body")) CHECK(has_content_type(log.effects.back()));
          break;
        case step_kind::respond: {
          log.order.push_back("respond");
          auto head = parse_response_head(s.data);
          REQUIRE(head.ok());
          log.status = head->status;
          log.headers = head->headers;
          break;
        }
        case step_kind::write:
          log.order.push_back("write");
          log.body.append(s.data);
          break;
        case step_kind::cancel_effect:
          log.order.push_back("cancel_effect");
          log.cancelled.push_back(json::parse(s.data)["id"].get<std::uint32_t>());
          break;
        case step_kind::log:
          log.order.push_back("log");
          log.logs.push_back(json::parse(s.data));
          break;
        case step_kind::yield:  // a real host delivers the body first; here it is already in log.body
          log.order.push_back("yield");
          break;
      }
    }
  }

  instance inst_;
};

/// The server-sent events of a body: [{id, event, data}] with data lines re-joined by "\n".
struct sse_event_record {
  std::string id, event, data;
  int data_lines = 0;
};
inline std::vector<sse_event_record> parse_sse(std::string_view body) {
  std::vector<sse_event_record> out;
  sse_event_record cur;
  bool any = false;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) {
      if (any) out.push_back(cur);
      cur = {};
      any = false;
      continue;
    }
    std::size_t colon = line.find(": ");
    std::string_view field = line.substr(0, colon), value = colon == std::string_view::npos ? "" : line.substr(colon + 2);
    any = true;
    if (field == "id") cur.id = value;
    else if (field == "event") cur.event = value;
    else if (field == "data") cur.data += (cur.data_lines++ ? "\n" : "") + std::string(value);
  }
  return out;
}

}  // namespace salient::testing
