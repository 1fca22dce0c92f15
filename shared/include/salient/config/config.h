#pragma once
// The typed configuration. `salient.yaml` (the seed design's YAML plus `agents:`,
// `personas:`, `offline:`, `budget:`, `rag:`, `resilience:` and `limits:`) is validated and
// compiled to JSON at build time by the native `salient` CLI; the functions receive that JSON
// at configure time and parse it again with parse_config(), so a hand-edited JSON cannot bypass
// validation. Every field has a default: `{}` is a valid configuration for a single "sales"
// agent with the built-in "sales" persona. Each key's rules, default and documentation are
// described once, in shared/config/fields.cpp; the comments here only name the field.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "salient/core/result.h"

namespace salient {

struct llm_settings {
  std::string provider = "openrouter";
  std::string model = "openai/gpt-oss-20b:free";
  double temperature = 0.3;
  int max_tokens = 1024;
  int history_tokens = 3000;                       ///< estimated tokens of past conversation; 0 = none
  int timeout_ms = 30000;                          ///< the first byte, and the longest silence mid-answer
  int retries = 2;                                 ///< before the first byte only
};

/// A system prompt and its labels. `system_prompt` may hold `{{app_name}}`, which the core
/// replaces with app.name at run time (the configuration keeps it as written).
struct persona_config {
  std::string code;                 ///< the key under personas:, what agents.<code>.persona names
  std::string name;
  std::string description;
  std::string system_prompt;
};

/// A person who answers handoffs by email (handoff.team): the name is what the visitor sees next
/// to their replies, never the mail's From header.
struct team_member {
  std::string email;  ///< lower case
  std::string name;
  bool operator==(const team_member&) const = default;
};

/// The names as the visitor reads them: "Ana", "Ana and Bo", "Ana, Bo and Cy".
inline std::string team_names(const std::vector<team_member>& team) {
  std::string out;
  for (std::size_t i = 0; i < team.size(); ++i) out += (i == 0 ? "" : i + 1 == team.size() ? " and " : ", ") + team[i].name;
  return out;
}

/// One kind of abuse limit counted three ways (rate_limits.<kind>.{ip, session, tenant}); 0 = none.
struct rate_limit_scopes {
  int ip = 0;       ///< per client address (IPv6 by its /64), across sessions
  int session = 0;  ///< per conversation (session keys are free: the address and tenant limits are the firm ones)
  int tenant = 0;   ///< the whole deployment
  bool operator==(const rate_limit_scopes&) const = default;
};

/// rate_limits (and agents.<code>.rate_limits): checked in the state store before anything is
/// stored, any paid upstream is called or an email is sent; answered with 429 and Retry-After.
struct rate_limit_config {
  rate_limit_scopes messages_per_minute{20, 10, 600};
  rate_limit_scopes tokens_per_day{200000, 100000, 5000000};
  rate_limit_scopes emails_per_hour{10, 5, 200};
  bool operator==(const rate_limit_config&) const = default;
};

struct agent_config {
  std::string code;                 ///< the key under agents:, the URL segment: /a/{code}/
  std::string name;
  bool enabled = true;
  std::string persona = "sales";
  llm_settings llm;                 ///< the global `llm:` with this agent's overrides applied
  std::string sales_recipient;      ///< agents.<code>.sales_recipient; empty = email.sales_recipient
  std::vector<team_member> handoff_team;  ///< agents.<code>.handoff.team; empty = handoff.team
  rate_limit_config rate_limits;    ///< the global `rate_limits` with this agent's overrides applied
};

/// Canned answers of the offline responder (no LLM key, LLM down, or budget spent).
struct offline_answers {
  std::string greeting;
  std::string pricing;
  std::string contact;
  std::string human;
  std::string fallback;             ///< "I can't answer that offline" and what to do instead
};

/// logging.rotation and logging.retention: "50 MB" is {bytes, 52428800}, "1 day" {seconds,
/// 86400}, "10 files" {files, 10}. Compiled to JSON as {"bytes": N}, {"seconds": N} or {"files": N}.
enum class log_unit { bytes, seconds, files };
struct log_limit {
  log_unit unit = log_unit::bytes;
  std::int64_t amount = 0;
  bool operator==(const log_limit&) const = default;
};

struct config {
  struct {
    std::string name = "Salient demo";
    std::string mode = "single-tenant";            ///< the only mode for now
    std::string tenant = "default";
    std::string default_agent = "sales";
    std::vector<std::string> allowed_origins;      ///< normalised: lower case, no default port
    std::string country;                           ///< app.country: ISO 3166 alpha-2, upper case; empty = unknown
  } app;
  struct {
    int inactivity_minutes = 30;                   ///< chat.inactivity_minutes: idle this long → summarized
    int max_message_chars = 4000;
    struct {
      int debounce_ms = 250;
      std::string submit_shortcut = "ctrl+enter";  ///< ctrl+enter | enter
      bool enter_inserts_newline = true;           ///< when not given: true with ctrl+enter, false with enter
    } input;
  } chat;
  struct {
    std::string level = "INFO";                    ///< DEBUG | INFO | WARN | ERROR
    std::string path = "./logs/app.jsonl";
    log_limit rotation{log_unit::bytes, 50LL * 1024 * 1024};
    log_limit retention{log_unit::seconds, 14LL * 86400};
  } logging;
  struct {
    std::string pinecone_index_name;               ///< vector.pinecone.index_name; empty = the local index
    std::string pinecone_host;                     ///< vector.pinecone.host; empty = looked up by name
    bool pinecone_namespace_per_agent = false;     ///< vector.pinecone.namespace_per_agent
    bool pinecone_integrated = false;              ///< vector.pinecone.integrated
    std::string pinecone_text_field = "text";      ///< vector.pinecone.text_field
  } vector;
  struct {
    std::string provider = "openai";               ///< openai | pinecone
    std::string model = "text-embedding-3-small";  ///< when not given with pinecone: llama-text-embed-v2
    int dimensions = 0;                            ///< 0 = the model's own size
  } embeddings;
  llm_settings llm;
  struct {
    bool sse_enabled = true;
    bool allow_basic_html = true;
  } ui;
  struct {
    std::string from;                              ///< email.from; empty = noreply@ MAILGUN_DOMAIN
    std::string from_name;                         ///< email.from_name; empty = app.name
    std::string brand_color = "#2563eb";           ///< email.brand_color
    std::string sales_recipient;                   ///< email.sales_recipient (alias mock_sales_recipient)
    std::string mock_sales_recipient;              ///< read, moved into sales_recipient, then empty
  } email;
  struct {
    int link_days = 14;                            ///< summary.link_days: the transcript link's lifetime
    int per_session_per_day = 5;                   ///< summary.per_session_per_day: button presses that send
  } summary;
  struct {
    std::vector<team_member> team;                 ///< handoff.team; empty (and no agent's own) = no handoff
    std::string response_time = "within one business day";  ///< handoff.response_time, shown to the visitor
    int reply_days = 30;                           ///< handoff.reply_days: how long the reply address works
    int quiet_minutes = 15;                        ///< handoff.quiet_minutes: the assistant waits this long
    int notify_minutes = 10;                       ///< handoff.notify_minutes: unseen reply → email to the visitor
    int per_session_per_day = 3;                   ///< handoff.per_session_per_day: handoffs one conversation may start
  } handoff;
  struct {
    int codes_per_ip_per_hour = 10;                ///< otp.codes_per_ip_per_hour
    int daily_emails = 500;                        ///< otp.daily_emails: the tenant's code emails per day
  } otp;
  struct {
    std::vector<std::string> emails;               ///< admin.emails: who may sign in to /admin/ (lower case); empty = off
    int session_hours = 12;                        ///< admin.session_hours: the sign-in cookie's lifetime
    int codes_per_ip_per_hour = 5;                 ///< admin.codes_per_ip_per_hour: sign-in codes asked from one address
    int daily_emails = 50;                         ///< admin.daily_emails: sign-in code emails per day, all addresses
  } admin;
  rate_limit_config rate_limits;                   ///< every agent starts from these (agent_config::rate_limits)
  struct {
    int max_body_bytes = 32768;
    int stream_ttl_seconds = 60;
    int upstream_timeout_ms = 10000;
  } limits;
  struct {
    double monthly_usd = 0;                        ///< 0 = no limit
  } budget;
  struct {
    bool enabled = true;
    int top_k = 4;
    int timeout_ms = 3000;
  } rag;
  struct {
    int breaker_failures = 5;
    int breaker_window_seconds = 30;
    int breaker_cooldown_seconds = 30;
  } resilience;
  offline_answers offline;                         ///< defaults mention app.name
  std::vector<persona_config> personas;            ///< sorted by code; defaults to the built-in "sales"
  std::vector<agent_config> agents;                ///< defaults to one enabled "sales" agent

  /// Where the agent's summaries go: agents.<code>.sales_recipient, else email.sales_recipient
  /// (empty: summaries are not set up).
  const std::string& sales_recipient_of(const agent_config& agent) const {
    return agent.sales_recipient.empty() ? email.sales_recipient : agent.sales_recipient;
  }
  /// Who answers the agent's handoffs: agents.<code>.handoff.team, else handoff.team. Empty: the
  /// agent offers no handoff.
  const std::vector<team_member>& handoff_team_of(const agent_config& agent) const {
    return agent.handoff_team.empty() ? handoff.team : agent.handoff_team;
  }

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

/// The reference tables of docs/CONFIG.md, as Markdown: one block per section, each between
/// `<!-- generated: salient config reference SECTION -->` and `<!-- end generated -->`.
/// `salient config reference` prints it; a test checks docs/CONFIG.md holds the same blocks.
std::string config_reference();

}  // namespace salient
