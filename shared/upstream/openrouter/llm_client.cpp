#include "salient/upstream/openrouter/llm_client.h"

#include <algorithm>
#include <charconv>

#include "core/json.h"
#include "salient/core/entropy.h"
#include "salient/core/environment.h"
#include "salient/core/json_write.h"

namespace salient {
namespace {

using detail::json;


/// Retry-After in seconds (the form OpenRouter sends); an HTTP date or junk is ignored.
int retry_after_ms(const header_list& headers) {
  std::string_view v = find_header(headers, "retry-after");
  int seconds = -1;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (ec != std::errc() || end != v.data() + v.size() || seconds < 0) return -1;
  return seconds > 3600 ? 3600 * 1000 : seconds * 1000;
}

bool retryable_status(int status) { return status == 408 || status == 429 || status >= 500; }

}  // namespace

result<std::optional<llm_endpoint>> llm_endpoint_from_env(const environment& env) {
  std::string_view key = env.get("OPENROUTER_API_KEY");
  if (key.empty()) return std::optional<llm_endpoint>();
  std::string_view base = env.get("OPENROUTER_BASE_URL");
  if (base.empty()) base = default_openrouter_base_url;
  if (!is_http_url(base)) return make_error(errc::misconfigured, "OPENROUTER_BASE_URL must start with http:// or https://");
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::optional<llm_endpoint>(llm_endpoint{std::string(base), std::string(key)});
}

int estimate_tokens(std::string_view text) { return static_cast<int>((text.size() + 3) / 4); }

std::vector<chat_message> build_messages(std::string_view system_prompt, const std::vector<history_message>& history,
                                         std::string_view question, int history_tokens) {
  std::vector<chat_message> out;
  out.push_back({"system", std::string(system_prompt)});
  // Walk back from the newest message while the budget lasts; a message that does not fit
  // whole ends the window (a cut message would misquote the visitor or the assistant).
  std::size_t first = history.size();
  int used = 0;
  while (first > 0) {
    const history_message& m = history[first - 1];
    if (m.role != "user" && m.role != "assistant") break;
    int cost = estimate_tokens(m.content) + 4;  // ~4 tokens of per-message framing
    if (used + cost > history_tokens) break;
    used += cost;
    --first;
  }
  for (std::size_t i = first; i < history.size(); ++i) out.push_back({history[i].role, history[i].content});
  out.push_back({"user", std::string(question)});
  return out;
}

outbound_request chat_completion_request(const llm_endpoint& endpoint, const llm_settings& llm,
                                         const std::vector<chat_message>& messages, std::string_view app_name,
                                         const completion_options& options) {
  outbound_request out;
  out.method = "POST";
  out.url = endpoint.base_url + "/chat/completions";
  out.headers = {{"authorization", "Bearer " + endpoint.key},
                 {"content-type", "application/json"},
                 {"accept", options.stream ? "text/event-stream" : "application/json"},
                 // OpenRouter's optional attribution headers: the business's name, never the visitor's.
                 {"x-title", std::string(app_name)}};
  out.body = detail::dump(
      json{{"model", llm.model}, {"temperature", llm.temperature}, {"max_tokens", llm.max_tokens}, {"stream", options.stream}});
  out.body.pop_back();
  if (!options.response_format_json.empty()) {
    out.body += ",\"response_format\":";
    out.body += options.response_format_json;
    // Route only to providers that honour response_format (OpenRouter provider routing); when
    // none does, OpenRouter answers 404 and the caller may ask again without it.
    out.body += ",\"provider\":{\"require_parameters\":true}";
  }
  // The messages hold the whole prompt (persona, passages, history), on the path to the first
  // token: written directly (json_write.h) instead of copied into a DOM and serialised from it.
  out.body += ",\"messages\":[";
  for (std::size_t i = 0; i < messages.size(); ++i) {
    out.body += i == 0 ? "{\"role\":" : ",{\"role\":";
    append_json_string(out.body, messages[i].role);
    out.body += ",\"content\":";
    append_json_string(out.body, messages[i].content);
    out.body += '}';
  }
  out.body += "]}";
  out.timeout_ms = llm.timeout_ms;  // streamed: per silence; whole: the complete answer must arrive in time
  out.stream = options.stream;
  return out;
}

llm_failure classify_status(const response_head& head, std::string_view body) {
  llm_failure f;
  f.status = head.status;
  f.retryable = retryable_status(head.status);
  f.retry_after_ms = retry_after_ms(head.headers);
  f.reason = "status " + std::to_string(head.status);
  if (auto doc = detail::parse_json(body); doc && doc->is_object()) {
    // OpenAI style {"error":{"message"}} (OpenRouter, embeddings), or Pinecone's {"code","message"}.
    const json* e = detail::member(*doc, "error");
    auto m = e && e->is_object() ? detail::string_member(*e, "message") : detail::string_member(*doc, "message");
    if (m) f.reason += ": " + std::string(m->substr(0, 200));
  }
  return f;
}

llm_failure classify_effect_failure(const effect_failure& failure) {
  llm_failure f;
  f.retryable = failure.kind != effect_failure_kind::aborted;
  switch (failure.kind) {
    case effect_failure_kind::timeout: f.reason = "timeout"; break;
    case effect_failure_kind::connect: f.reason = "connect error"; break;
    case effect_failure_kind::aborted: f.reason = "aborted"; break;
    case effect_failure_kind::network: f.reason = "network error"; break;
  }
  return f;
}

int retry_delay_ms(int attempt, int retry_after, entropy& rng, int cap_ms) {
  if (retry_after >= 0) return std::min(retry_after, cap_ms);
  // Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): uniform in
  // [0, base·2^(attempt-1)], so clients that failed together do not retry together.
  int ceiling = std::min(cap_ms, 250 << std::clamp(attempt - 1, 0, 10));
  std::uint8_t bytes[4];
  rng.fill(bytes);
  std::uint32_t r = static_cast<std::uint32_t>(bytes[0]) | static_cast<std::uint32_t>(bytes[1]) << 8 |
                    static_cast<std::uint32_t>(bytes[2]) << 16 | static_cast<std::uint32_t>(bytes[3]) << 24;
  return static_cast<int>(r % static_cast<std::uint32_t>(ceiling + 1));
}

void completion_relay::read_whole(std::string_view data) {
  auto doc = detail::parse_json(data);
  if (!doc || !doc->is_object()) {
    ++malformed_;
    return;
  }
  if (auto id = detail::string_member(*doc, "id")) generation_id_ = std::string(*id);
  if (const json* e = detail::member(*doc, "error"); e && !e->is_null()) {
    llm_failure f;
    const json* code = detail::member(*e, "code");
    if (code && code->is_number_integer()) f.status = code->get<int>();
    std::string message(detail::string_member(*e, "message").value_or("unknown error"));
    f.reason = "in-stream error" + (code ? " " + detail::dump(*code) : std::string()) + ": " + message.substr(0, 200);
    f.retryable = false;  // text may already have reached the visitor
    error_ = std::move(f);
  }
  if (const json* u = detail::member(*doc, "usage"); u && u->is_object()) {
    usage_.prompt_tokens = detail::int_member(*u, "prompt_tokens").value_or(-1);
    usage_.completion_tokens = detail::int_member(*u, "completion_tokens").value_or(-1);
    usage_.total_tokens = detail::int_member(*u, "total_tokens").value_or(-1);
    usage_.cost = detail::number_member(*u, "cost");
  }
  const json* choices = detail::member(*doc, "choices");
  if (!choices || !choices->is_array() || choices->empty()) return;
  const json& first = (*choices)[0];
  if (auto reason = detail::string_member(first, "finish_reason")) finish_reason_ = std::string(*reason);
  if (const json* delta = detail::member(first, "delta"))
    if (auto content = detail::string_member(*delta, "content")) received_.append(*content);
}

}  // namespace salient
