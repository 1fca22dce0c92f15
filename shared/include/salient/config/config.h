#pragma once
// The typed configuration. `salient.yaml` (the seed design's YAML plus `agents:`,
// `personas:`, `offline:`, `budget:`, `resilience:` and `limits:`) is validated and compiled
// to JSON at build time by the native `salient` CLI; the functions receive that JSON at
// configure time and parse it again with parse_config(), so a hand-edited JSON cannot bypass
// validation. Every field has a default: `{}` is a valid configuration for a single "sales"
// agent with the built-in "sales" persona.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "salient/core/result.h"

namespace salient {

struct llm_settings {
  std::string provider = "openrouter";            ///< only "openrouter" for now
  std::string model = "openai/gpt-oss-20b:free";
  double temperature = 0.3;                        ///< 0 … 2
  int max_tokens = 1024;                           ///< 1 … 32768
  int history_tokens = 3000;                       ///< 0 … 100000; estimated tokens of past conversation
                                                   ///< sent with each question; 0 sends none
  int timeout_ms = 30000;                          ///< 1000 … 300000; wait for the first byte, and the
                                                   ///< longest silence allowed mid-answer
  int retries = 2;                                 ///< 0 … 5; retries before the first byte (408, 429,
                                                   ///< 5xx, connect errors)
};

/// A system prompt and its labels. `system_prompt` may hold `{{app_name}}`, which the core
/// replaces with app.name at run time (the configuration keeps it as written).
struct persona_config {
  std::string code;                 ///< [a-z0-9-]{1,32}; what agents.<code>.persona names
  std::string name;                 ///< not empty, e.g. "Sales assistant"
  std::string description;          ///< optional, for people reading the configuration
  std::string system_prompt;        ///< not empty; at most 20000 characters (code points)
};

struct agent_config {
  std::string code;                 ///< URL segment: /a/{code}/; [a-z0-9-]{1,32}
  std::string name;                 ///< shown in the UI, e.g. "Sales assistant"
  bool enabled = true;
  std::string persona = "sales";    ///< persona code
  llm_settings llm;                 ///< the global `llm:` with this agent's overrides applied
};

/// Canned answers of the offline responder (no LLM key, LLM down, or budget spent).
struct offline_answers {
  std::string greeting;
  std::string pricing;
  std::string contact;
  std::string human;
  std::string fallback;             ///< "I can't answer that offline" and what to do instead
};

struct config {
  struct {
    std::string name = "Salient demo";
    std::string mode = "single-tenant";            ///< single-tenant | multi-tenant
    std::string tenant = "default";                ///< tenant slug in single-tenant mode
    std::string default_agent = "sales";
    std::vector<std::string> allowed_origins;      ///< extra origins allowed to POST (widget hosts)
  } app;
  struct {
    int inactivity_minutes = 30;                   ///< 1 … 10080
    int max_message_chars = 4000;                  ///< 1 … 100000
    struct {
      int debounce_ms = 250;                       ///< 0 … 5000
      std::string submit_shortcut = "ctrl+enter";  ///< ctrl+enter | enter
      bool enter_inserts_newline = true;
    } input;
  } chat;
  struct {
    std::string mock_sales_recipient = "sales@example.com";
  } email;
  struct {
    std::string level = "INFO";                    ///< DEBUG | INFO | WARN | ERROR
    std::string path = "./logs/app.jsonl";
    std::string rotation = "50 MB";
    std::string retention = "14 days";
  } logging;
  struct {
    std::string pinecone_index_name;               ///< vector.pinecone.index_name; empty = local index
    std::string pinecone_host;                     ///< the index host (https://…); empty = looked up by name
    bool pinecone_namespace_per_agent = false;     ///< namespace "tenant:agent" instead of "tenant"
    bool pinecone_integrated = false;              ///< the index embeds text itself: search by text
    std::string pinecone_text_field = "text";      ///< the metadata field holding a passage's text
  } vector;
  struct {
    std::string provider = "openai";               ///< openai | pinecone (Pinecone's /embed)
    std::string model = "text-embedding-3-small";  ///< pinecone's default: llama-text-embed-v2
    int dimensions = 0;                            ///< 0 … 20000; 0 = the model's own size
  } embeddings;
  llm_settings llm;
  struct {
    bool sse_enabled = true;
    bool allow_basic_html = true;
  } ui;
  struct {
    int max_body_bytes = 32768;                    ///< 1024 … 1048576; larger → 413
    int stream_ttl_seconds = 60;                   ///< 5 … 60; lifetime of a stream_id
    int upstream_timeout_ms = 10000;               ///< 100 … 120000; per effect
  } limits;
  struct {
    double monthly_usd = 0;                        ///< 0 … 1000000; LLM spend per calendar month after
                                                   ///< which the offline responder answers; 0 = no limit
  } budget;
  /// Retrieval from the business's own content (the local index, or Pinecone when configured).
  struct {
    bool enabled = true;                           ///< false: answers use no retrieved passages
    int top_k = 4;                                 ///< 1 … 20; passages put in the prompt (and cited)
    int timeout_ms = 3000;                         ///< 100 … 30000; per embeddings or Pinecone call
  } rag;
  /// The LLM circuit breaker: after `breaker_failures` upstream failures within
  /// `breaker_window_seconds`, the LLM is not called for `breaker_cooldown_seconds`.
  struct {
    int breaker_failures = 5;                      ///< 1 … 100
    int breaker_window_seconds = 30;               ///< 1 … 3600
    int breaker_cooldown_seconds = 30;             ///< 1 … 3600; offline answers meanwhile
  } resilience;
  offline_answers offline;                         ///< defaults mention app.name
  std::vector<persona_config> personas;            ///< sorted by code; defaults to the built-in "sales"
  std::vector<agent_config> agents;                ///< defaults to one enabled "sales" agent

  /// The agent with this code if it exists and is enabled, else nullptr.
  const agent_config* find_enabled_agent(std::string_view code) const;
  /// The persona with this code, else nullptr. Every agent's persona exists (parse_config checks).
  const persona_config* find_persona(std::string_view code) const;
};

/// Parses and validates configuration JSON. Errors have kind errc::misconfigured, a message
/// naming the field and what is allowed, and `path` = the JSON pointer of the bad value
/// (e.g. "/llm/temperature"), which the CLI maps back to a YAML line.
result<config> parse_config(std::string_view json_text);

/// The normalised JSON of a config (all defaults filled in): what the CLI writes.
std::string to_json(const config& c);

}  // namespace salient
