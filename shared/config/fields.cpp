// The description of every salient.yaml key (fields.h): the tables that validation, the
// compiled JSON and docs/CONFIG.md's reference tables all come from. A row's `doc` is the
// sentence the docs show after the allowed values, which reference.cpp derives from the kind
// and bounds. To add a key: a member in config.h, a row here, then `salient config reference`
// into docs/CONFIG.md (a test compares them).
#include "config/fields.h"

#include "salient/core/email_address.h"
#include "salient/core/http.h"

namespace salient::detail {
namespace {

// A row's accessor: `+` turns the capture-less lambda into the function pointer the row holds.
#define AT(T, member) +[](T& c) -> auto& { return c.member; }

// The nine rows of a rate_limits mapping (the global one, an agent's): one per kind and scope.
// `SUFFIX` ends each sentence (the global rows) or is empty; DEFAULTS gives an agent's row the
// global key as its default.
#define RATE_LIMIT_ROW(T, KIND, SCOPE, HI, SENTENCE, DEFAULTS)                                              \
  integer("rate_limits." #KIND "." #SCOPE, 0, HI, AT(T, rate_limits.KIND.SCOPE), SENTENCE "; 0 = no limit") \
      DEFAULTS
#define RATE_LIMIT_ROWS(T, DEFAULTS_OF)                                                                    \
  RATE_LIMIT_ROW(T, messages_per_minute, ip, 100000,                                                       \
                 "messages one client address may send per minute, over all its conversations (IPv6: per /64); " \
                 "more get 429 with Retry-After and are not stored",                                       \
                 DEFAULTS_OF(messages_per_minute, ip)),                                                    \
  RATE_LIMIT_ROW(T, messages_per_minute, session, 100000, "messages one conversation may send per minute",  \
                 DEFAULTS_OF(messages_per_minute, session)),                                               \
  RATE_LIMIT_ROW(T, messages_per_minute, tenant, 1000000, "messages the whole deployment takes per minute", \
                 DEFAULTS_OF(messages_per_minute, tenant)),                                                \
  RATE_LIMIT_ROW(T, tokens_per_day, ip, 1000000000,                                                         \
                 "model tokens (prompt and answer, as OpenRouter counts them) answers to one client address may " \
                 "use in 24 hours; a message past it gets 429 before the model is called",                 \
                 DEFAULTS_OF(tokens_per_day, ip)),                                                         \
  RATE_LIMIT_ROW(T, tokens_per_day, session, 1000000000, "model tokens one conversation may use in 24 hours", \
                 DEFAULTS_OF(tokens_per_day, session)),                                                    \
  RATE_LIMIT_ROW(T, tokens_per_day, tenant, 1000000000,                                                     \
                 "model tokens the whole deployment may use in 24 hours (with `budget.monthly_usd`)",      \
                 DEFAULTS_OF(tokens_per_day, tenant)),                                                     \
  RATE_LIMIT_ROW(T, emails_per_hour, ip, 100000,                                                            \
                 "emails a visitor's actions may send per hour from one client address: one-time codes, the "  \
                 "summary button, \"Talk to a person\" (with the limits of `otp`, `summary` and `handoff`)",   \
                 DEFAULTS_OF(emails_per_hour, ip)),                                                        \
  RATE_LIMIT_ROW(T, emails_per_hour, session, 100000, "emails one conversation's visitor may cause per hour", \
                 DEFAULTS_OF(emails_per_hour, session)),                                                   \
  RATE_LIMIT_ROW(T, emails_per_hour, tenant, 1000000, "emails all visitors together may cause per hour",     \
                 DEFAULTS_OF(emails_per_hour, tenant))
#define OWN_DEFAULT(KIND, SCOPE)
#define GLOBAL_DEFAULT(KIND, SCOPE) .defaults("`rate_limits." #KIND "." #SCOPE "`")

bool is_index_name(std::string_view s) { return is_code(s, 45); }
bool is_country(std::string_view s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}
bool is_one_line(std::string_view s) { return is_header_safe(s); }
bool is_hex_color(std::string_view s) {
  if (s.size() != 7 || s[0] != '#') return false;
  for (char c : s.substr(1))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

constexpr field<config> config_table[] = {
    text("app.name", AT(config, app.name),
         "the business name: shown in the UI and in emails (their sender's name, unless `email.from_name`), put "
         "in place of `{{app_name}}` in prompts, and used in the default offline answers")
        .checked(is_one_line, "one line of text (no line breaks)"),
    choice("app.mode", "single-tenant", AT(config, app.mode), "")
        .refusing("multi-tenant", "one deployment serves one tenant, app.tenant, for now"),
    code("app.tenant", 64, AT(config, app.tenant),
         "the tenant this deployment serves: its rows in the database, its Pinecone namespace, its log entries"),
    code("app.default_agent", 32, AT(config, app.default_agent),
         "the tenant's main agent; must name an **enabled** agent. Its persona becomes the tenant's default persona "
         "in the database, and `salient ingest --pinecone` loads its namespace (with "
         "`vector.pinecone.namespace_per_agent`) unless given `--agent`"),
    origins("app.allowed_origins", AT(config, app.allowed_origins),
            "extra origins allowed to call the functions (sites embedding the widget): `http(s)://host[:port]`, no "
            "path, no trailing slash, no duplicates; stored lower-cased and without a default port (as browsers "
            "send `Origin`). A listed site's requests get `Access-Control-Allow-Origin: <that origin>` (and its CORS "
            "preflights a 204 allowing GET/POST with `content-type`, `accept`, `last-event-id`); any other "
            "cross-site POST is a 403 and no other origin gets a CORS grant. Same-origin needs nothing here"),

    optional_text("app.country", AT(config, app.country),
                  "where the business is, as an ISO 3166 alpha-2 code (`US`, `GB`, `DE`…): a phone number a visitor "
                  "writes without `+` is read as a local number of this country (its trunk prefix dropped, its "
                  "country code added) when its rules are known, else kept as written; empty = kept as written")
        .checked(is_country, "two upper-case letters, like \"US\" or \"GB\", or empty"),

    integer("chat.inactivity_minutes", 1, 10080, AT(config, chat.inactivity_minutes),
            "a conversation with no new message for this long is summarized and emailed to the sales team by the "
            "scheduled sweep (once per new message: a conversation already summarized waits for the visitor's "
            "next message)"),
    integer("chat.max_message_chars", 1, 100000, AT(config, chat.max_message_chars),
            "the longest visitor message accepted"),
    integer("chat.input.debounce_ms", 0, 5000, AT(config, chat.input.debounce_ms),
            "a send less than this many milliseconds after the previous one is ignored, so a double click or a "
            "held key sends once; 0 turns it off"),
    choice("chat.input.submit_shortcut", "ctrl+enter|enter", AT(config, chat.input.submit_shortcut),
           "the key that sends the message: Ctrl+Enter (Cmd+Enter on a Mac) or Enter"),
    flag("chat.input.enter_inserts_newline", AT(config, chat.input.enter_inserts_newline),
         "`true`: plain Enter adds a new line; `false`: it does nothing. Shift+Enter adds one whenever it does not "
         "send. With `enter`, Enter sends, so `true` is refused")
        .defaults("`true` with `ctrl+enter`, `false` with `enter`"),

    optional_text("email.from", AT(config, email.from),
                  "the sender of every email (one-time codes, confirmations): an address of the Mailgun domain; empty "
                  "= `noreply@` that domain (`MAILGUN_DOMAIN`)")
        .checked(is_email_address, "an email address like \"hello@mg.example.com\", or empty"),
    optional_text("email.from_name", AT(config, email.from_name),
                  "the sender's name shown by mail clients; empty = `app.name`")
        .checked(is_one_line, "one line of text (no line breaks)")
        .at_most(100),
    text("email.brand_color", AT(config, email.brand_color),
         "the accent colour of the emails and the privacy page, `#rrggbb`")
        .checked(is_hex_color, "a colour like \"#2563eb\""),
    optional_text("email.sales_recipient", AT(config, email.sales_recipient),
                  "where conversation summaries and leads are emailed (the \"Email summary\" button and the idle "
                  "sweep); `agents.<code>.sales_recipient` overrides it per agent; empty = no summaries are sent (the "
                  "button answers that they are not set up)")
        .checked(is_email_address, "an email address like \"sales@example.com\", or empty"),
    optional_text("email.mock_sales_recipient", AT(config, email.mock_sales_recipient),
                  "the first design's name of `email.sales_recipient`, accepted as its alias; giving both is "
                  "refused")
        .checked(is_email_address, "an email address like \"sales@example.com\", or empty"),

    integer("summary.link_days", 1, 365, AT(config, summary.link_days),
            "how long the link to a conversation's read-only transcript, in a summary email, keeps working (it "
            "dies earlier when the visitor's data is erased)"),
    integer("summary.per_session_per_day", 1, 100, AT(config, summary.per_session_per_day),
            "summaries the \"Email summary\" button may send for one conversation per day; further presses get 429"),

    team_list("handoff.team", AT(config, handoff.team),
              "who answers when a visitor asks for a person: each `{email, name}` gets the handoff email and may "
              "reply to it (replies from any other address are refused); the visitor sees `name` beside the reply. "
              "`agents.<code>.handoff.team` replaces it per agent; empty = no \"Talk to a person\" button"),
    optional_text("handoff.response_time", AT(config, handoff.response_time),
                  "when the visitor may expect an answer, shown to them and in the team's email; empty = not said"),
    integer("handoff.reply_days", 1, 365, AT(config, handoff.reply_days),
            "how long the team can answer a handoff by replying to its email; later replies bounce"),
    integer("handoff.quiet_minutes", 1, 1440, AT(config, handoff.quiet_minutes),
            "after a handoff starts or a person replies, the assistant stays quiet this long (the visitor's "
            "messages go to the team); then it answers again and says so"),
    integer("handoff.notify_minutes", 1, 1440, AT(config, handoff.notify_minutes),
            "a reply the visitor has not seen this long is emailed to them, when a code verified their email"),
    integer("handoff.per_session_per_day", 1, 50, AT(config, handoff.per_session_per_day),
            "handoffs one conversation may start per day; further requests get 429"),

    RATE_LIMIT_ROWS(config, OWN_DEFAULT),

    integer("otp.codes_per_ip_per_hour", 1, 10000, AT(config, otp.codes_per_ip_per_hour),
            "one-time-code emails one client address may ask for per hour (with at most 3 per email address per "
            "15 minutes, always)"),
    integer("otp.daily_emails", 1, 1000000, AT(config, otp.daily_emails),
            "one-time-code emails the tenant sends per day at most, whoever asks: a cap on what an abuser can make "
            "the site send"),

    email_list("admin.emails", AT(config, admin.emails),
               "the addresses that may sign in to the operator's view, `/admin/`, with a code emailed to them (no "
               "passwords); empty: the view is off. Taking an address out ends its access at its next request"),
    integer("admin.session_hours", 1, 168, AT(config, admin.session_hours),
            "how long a sign-in lasts (the session cookie's lifetime); then a new code is needed"),
    integer("admin.codes_per_ip_per_hour", 1, 1000, AT(config, admin.codes_per_ip_per_hour),
            "sign-in codes one client address may ask for per hour (with at most 3 per email address per 15 "
            "minutes, always); an address not in `admin.emails` gets the same answer and no email"),
    integer("admin.daily_emails", 1, 10000, AT(config, admin.daily_emails),
            "sign-in code emails the deployment sends per day at most, whoever asks"),

    choice("logging.level", "DEBUG|INFO|WARN|ERROR", AT(config, logging.level),
           "entries below it are dropped (core and hosts)"),
    text("logging.path", AT(config, logging.path),
         "JSON-lines log file, relative to the repository; the dev server appends every entry there and to stdout "
         "(platforms such as Workers log to their own console instead)"),
    log_size_or_age("logging.rotation", AT(config, logging.rotation),
                    "when the dev server starts a new log file: `<n> KB`, `MB` or `GB` (1 KB = 1024 bytes) before "
                    "the file would grow past that size, or `<n> minutes`, `hours`, `days` or `weeks` once it is "
                    "that old; from 1 KB to 1024 GB, or 1 minute to 3650 days. The old file keeps the time of the "
                    "rotation in its name"),
    log_age_or_files("logging.retention", AT(config, logging.retention),
                     "which rotated files the dev server deletes: those older than `<n> minutes`, `hours`, `days` "
                     "or `weeks` (1 minute to 3650 days), or all but the newest `<n> files` (1 to 10000)"),

    optional_text("vector.pinecone.index_name", AT(config, vector.pinecone_index_name),
                  "a Pinecone index name (1–45 of `a-z`, `0-9`, `-`); empty or null = the local index built from "
                  "`knowledge/`")
        .checked(is_index_name,
                 "a Pinecone index name (1 to 45 characters of a-z, 0-9 and \"-\"), or empty for the local index"),
    optional_text("vector.pinecone.host", AT(config, vector.pinecone_host),
                  "the index's URL (`https://NAME-PROJECT.svc.REGION.pinecone.io`, shown in Pinecone's console); "
                  "empty = looked up once per instance from `index_name` (`GET /indexes/{name}`). "
                  "`PINECONE_INDEX_HOST` overrides it")
        .checked(is_http_url, "the index's URL, like \"https://NAME-PROJECT.svc.REGION.pinecone.io\", or empty to "
                              "look it up by index_name"),
    flag("vector.pinecone.namespace_per_agent", AT(config, vector.pinecone_namespace_per_agent),
         "the namespace searched: the tenant (`brightleaf`), or with `true` the tenant and agent (`brightleaf:sales`)"),
    flag("vector.pinecone.integrated", AT(config, vector.pinecone_integrated),
         "`true` for an index with integrated embedding: the question is searched as text "
         "(`/records/namespaces/{ns}/search`) and no embeddings call is made"),
    text("vector.pinecone.text_field", AT(config, vector.pinecone_text_field),
         "the metadata field that holds a passage's text (`title`, `heading`, `url` and `source` are read too when "
         "present)"),

    choice("embeddings.provider", "openai|pinecone", AT(config, embeddings.provider),
           "`openai`: `POST /embeddings` with `OPENAI_API_KEY`; `pinecone`: Pinecone's `/embed` with "
           "`PINECONE_API_KEY`"),
    text("embeddings.model", AT(config, embeddings.model), "the embeddings model")
        .defaults("`text-embedding-3-small`; with provider `pinecone`, `llama-text-embed-v2`"),
    integer("embeddings.dimensions", 0, 20000, AT(config, embeddings.dimensions),
            "the vector size asked for (OpenAI `dimensions`, Pinecone `dimension`); `0` = the model's own. Must "
            "match the index"),

    llm_section("llm", AT(config, llm), "the global model settings; every agent starts from these"),

    flag("ui.sse_enabled", AT(config, ui.sse_enabled),
         "`true`: answers stream in as they are written (server-sent events); `false`: the chat page and the "
         "widget fetch each answer whole, as one JSON document"),
    flag("ui.allow_basic_html", AT(config, ui.allow_basic_html),
         "`true`: a few attribute-free inline tags in answers are shown as such (`<b>`, `<i>`, `<em>`, `<strong>`, "
         "`<u>`, `<s>`, `<sub>`, `<sup>`, `<br>`, `<code>`, `<kbd>`, `<mark>`, `<small>`); other HTML, and all of "
         "it with `false`, is shown as text"),

    integer("limits.max_body_bytes", 1024, 1048576, AT(config, limits.max_body_bytes),
            "larger request bodies get 413"),
    integer("limits.stream_ttl_seconds", 5, 60, AT(config, limits.stream_ttl_seconds), "lifetime of a `stream_id`"),
    integer("limits.upstream_timeout_ms", 100, 120000, AT(config, limits.upstream_timeout_ms),
            "per outbound request"),

    number("budget.monthly_usd", 0, 1000000, AT(config, budget.monthly_usd),
           "the tenant's LLM spend per calendar month after which answers come from the offline responder until "
           "the month ends; `0` = no limit"),

    flag("rag.enabled", AT(config, rag.enabled), "`false`: no retrieval; answers use no passages and show no sources"),
    integer("rag.top_k", 1, 20, AT(config, rag.top_k),
            "passages retrieved per question (the prompt's sources, and the most an answer can cite)"),
    integer("rag.timeout_ms", 100, 30000, AT(config, rag.timeout_ms),
            "the longest wait for each embeddings or Pinecone call before it is retried once, then given up"),

    integer("resilience.breaker_failures", 1, 100, AT(config, resilience.breaker_failures),
            "failures that open the breaker"),
    integer("resilience.breaker_window_seconds", 1, 3600, AT(config, resilience.breaker_window_seconds),
            "the window in which they are counted"),
    integer("resilience.breaker_cooldown_seconds", 1, 3600, AT(config, resilience.breaker_cooldown_seconds),
            "how long the LLM is then left alone"),
};

constexpr field<llm_settings> llm_table[] = {
    choice("provider", "openrouter", AT(llm_settings, provider),
           "the only provider for now; its base URL comes from `OPENROUTER_BASE_URL`"),
    text("model", AT(llm_settings, model), "an OpenRouter model id"),
    number("temperature", 0, 2, AT(llm_settings, temperature), ""),
    integer("max_tokens", 1, 32768, AT(llm_settings, max_tokens), "the longest answer, in tokens"),
    integer("history_tokens", 0, 100000, AT(llm_settings, history_tokens),
            "the budget of (estimated) tokens of past conversation sent with each question; 0 sends none"),
    integer("timeout_ms", 1000, 300000, AT(llm_settings, timeout_ms),
            "how long to wait for the first byte of an answer, and the longest silence allowed mid-answer "
            "(independent of `limits.upstream_timeout_ms`)"),
    integer("retries", 0, 5, AT(llm_settings, retries),
            "retries before the first byte of an answer, on 408, 429, 5xx and connection errors; never once the "
            "answer has started"),
};

constexpr field<persona_config> persona_table[] = {
    text("name", AT(persona_config, name), "").needed(),
    optional_text("description", AT(persona_config, description),
                  "optional; for people reading the configuration; may be empty or null"),
    text("system_prompt", AT(persona_config, system_prompt),
         "`{{app_name}}` in it is kept as written and replaced with `app.name` when the prompt is used")
        .needed()
        .at_most(20000),
};

constexpr field<agent_config> agent_table[] = {
    text("name", AT(agent_config, name), "shown in the UI")
        .defaults(R"(the code, capitalised, `-` → space, plus " assistant" )"
                  R"((`after-sales` → "After sales assistant"))"),
    flag("enabled", AT(agent_config, enabled), "a disabled agent answers 404 and cannot be `app.default_agent`"),
    code("persona", 32, AT(agent_config, persona),
         "the persona whose system prompt the agent uses; must exist (see `personas`)"),
    optional_text("sales_recipient", AT(agent_config, sales_recipient),
                  "where this agent's summaries go instead of `email.sales_recipient`")
        .checked(is_email_address, "an email address like \"sales@example.com\", or empty")
        .defaults("`email.sales_recipient`"),
    team_list("handoff.team", AT(agent_config, handoff_team),
              "who answers this agent's handoffs instead of `handoff.team`")
        .defaults("`handoff.team`"),
    RATE_LIMIT_ROWS(agent_config, GLOBAL_DEFAULT),
    llm_section("llm", AT(agent_config, llm),
                "any of `provider`, `model`, `temperature`, `max_tokens`, `history_tokens`, `timeout_ms`, "
                "`retries`, same rules as the global `llm`; keys given here override the global ones, the rest are "
                "inherited")
        .defaults("the global `llm`"),
};

constexpr field<offline_answers> offline_table[] = {
    text("greeting", AT(offline_answers, greeting), "the answer to a greeting"),
    text("pricing", AT(offline_answers, pricing), "the answer to a question about prices"),
    text("contact", AT(offline_answers, contact), "the answer to a question about contact details"),
    text("human", AT(offline_answers, human), "the answer when the visitor asks for a person"),
    text("fallback", AT(offline_answers, fallback), "the answer to anything else"),
};

#undef RATE_LIMIT_ROWS
#undef RATE_LIMIT_ROW
#undef OWN_DEFAULT
#undef GLOBAL_DEFAULT
#undef AT

}  // namespace

const std::span<const field<config>> config_fields = config_table;
const std::span<const field<llm_settings>> llm_fields = llm_table;
const std::span<const field<persona_config>> persona_fields = persona_table;
const std::span<const field<agent_config>> agent_fields = agent_table;
const std::span<const field<offline_answers>> offline_fields = offline_table;

}  // namespace salient::detail
