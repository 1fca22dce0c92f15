#pragma once
// The language model as the core sees it: OpenRouter's OpenAI-style chat completions API
// (`POST {OPENROUTER_BASE_URL}/chat/completions`, docs/UPSTREAMS.md), streamed. This file builds
// the request (system prompt, a token-bounded window of history, the question), classifies
// what comes back, and relays the stream: `completion_relay` turns upstream body pieces into
// text deltas with the hot path kept free of JSON DOM parsing (completion_chunk.h).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "salient/upstream/openrouter/completion_chunk.h"
#include "salient/config/config.h"
#include "salient/core/http.h"
#include "salient/core/result.h"
#include "salient/upstream/openrouter/sse_reader.h"
#include "salient/upstream/store/state_client.h"

namespace salient {

class environment;
class entropy;

inline constexpr std::string_view default_openrouter_base_url = "https://openrouter.ai/api/v1";

struct llm_endpoint {
  std::string base_url;  ///< without a trailing slash, e.g. https://openrouter.ai/api/v1
  std::string key;
};

/// From OPENROUTER_API_KEY and OPENROUTER_BASE_URL (default: OpenRouter itself). nullopt when
/// there is no key: the offline responder answers. A base URL that is not http(s) is an error.
result<std::optional<llm_endpoint>> llm_endpoint_from_env(const environment& env);

struct chat_message {
  std::string role;  ///< system | user | assistant
  std::string content;
};

/// A rough token count for budgeting the history window: UTF-8 bytes / 4, rounded up (close
/// for English; an over-estimate for most other scripts, which errs on the safe side).
int estimate_tokens(std::string_view text);

/// The messages of one call: the system prompt, then the most recent history that fits in
/// `history_tokens` (whole messages, oldest dropped first), then the visitor's question.
std::vector<chat_message> build_messages(std::string_view system_prompt, const std::vector<history_message>& history,
                                         std::string_view question, int history_tokens);

/// What a call asks for besides its messages: the answer relayed as it streams, or one whole
/// answer, which may be held to a JSON Schema (structured_output.h).
struct completion_options {
  bool stream = true;
  std::string response_format_json;  ///< a `response_format` object (JSON text), or empty for none
};

/// The chat/completions effect: the one builder of OpenRouter requests. Streamed, llm.timeout_ms
/// bounds the wait for the first byte and each silence after it; whole, the complete answer.
outbound_request chat_completion_request(const llm_endpoint& endpoint, const llm_settings& llm,
                                         const std::vector<chat_message>& messages, std::string_view app_name,
                                         const completion_options& options = {});

/// What went wrong with a call, in the terms the flow acts on.
struct llm_failure {
  int status = 0;           ///< HTTP status; 0 when there was no answer (connect error, timeout)
  std::string reason;       ///< for logs: "timeout", "status 429", "in-stream error 502: …"
  bool retryable = false;   ///< before the first byte: try again (408, 429, 5xx, connect, timeout)
  int retry_after_ms = -1;  ///< from Retry-After (seconds), when the upstream said
};

/// A non-200 answer: its status and OpenRouter's `{"error":{"code","message"}}` body.
llm_failure classify_status(const response_head& head, std::string_view body);
/// No answer at all.
llm_failure classify_effect_failure(const effect_failure& failure);

/// Backoff before retry number `attempt` (1, 2, …): exponential from 250 ms with full jitter,
/// or what Retry-After asked for; at most `cap_ms` either way.
int retry_delay_ms(int attempt, int retry_after_ms, entropy& rng, int cap_ms = 8000);

struct llm_usage {
  std::int64_t prompt_tokens = -1, completion_tokens = -1, total_tokens = -1;  ///< -1: not reported
  std::optional<double> cost;  ///< USD, as OpenRouter reports it
};

/// Reads a streamed completion: feed() the upstream body pieces as they arrive; each piece of
/// answer text is passed to `on_text(std::string_view)`. Chunks it cannot read are skipped and
/// counted (one bad chunk should not cost the visitor the answer).
class completion_relay {
 public:
  template <class F>
  void feed(std::string_view bytes, F&& on_text) {
    if (done_ || error_) return;  // the answer is over: anything after it is ignored
    reader_.feed(bytes, [&](const sse_reader::event& e) {
      if (done_) return false;
      // The chunk's text is appended to the answer where it is scanned: no copy in between.
      const std::size_t before = received_.size();
      switch (scanner_.scan(e.data, received_)) {
        case chunk_kind::delta: break;
        case chunk_kind::done: done_ = true; return false;
        case chunk_kind::needs_dom: read_whole(e.data); break;
        case chunk_kind::malformed: ++malformed_; return true;
      }
      if (received_.size() > before) on_text(std::string_view(received_).substr(before));
      return !error_;
    });
  }

  bool done() const { return done_; }                    ///< `[DONE]` arrived
  bool overflowed() const { return reader_.overflowed(); }
  const std::optional<llm_failure>& error() const { return error_; }  ///< an in-stream error object
  const std::string& text() const { return received_; }  ///< all the answer text so far
  const std::string& finish_reason() const { return finish_reason_; }
  const std::string& generation_id() const { return generation_id_; }
  const llm_usage& usage() const { return usage_; }
  int malformed_chunks() const { return malformed_; }

 private:
  /// The rare chunk with an error, usage or finish_reason: parsed completely (cold path); its
  /// content is appended to received_.
  void read_whole(std::string_view data);

  sse_reader reader_;
  completion_scanner scanner_;
  std::string received_;  // the whole answer so far
  std::string finish_reason_, generation_id_;
  std::optional<llm_failure> error_;
  llm_usage usage_;
  int malformed_ = 0;
  bool done_ = false;
};

}  // namespace salient
