#include "salient/render/pages.h"

#include "core/json.h"
#include "salient/render/html.h"

#include "render/sources_html.h"

namespace salient {
namespace {

// htmx runs without eval (no hx-on, no trigger filters: the CSP forbids them anyway), and
// swaps 4xx/5xx partials too so that errors show up in the conversation while
// htmx:responseError still fires (page.js keeps the visitor's text then).
constexpr std::string_view chat_page = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"selfRequestsOnly":true,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"[45]..","swap":true,"error":true}]}'>
<title>{{agent_name}} · {{app_name}}</title>
<link rel="stylesheet" href="/assets/basecoat.min.css">
<link rel="stylesheet" href="/assets/page.css">
<script src="/assets/htmx.min.js" defer></script>
<script src="/assets/sse.min.js" defer></script>
<script src="/assets/page.js" defer></script>
</head>
<body>
<main class="chat">
<header class="chat-header">
<div class="titles"><h1>{{app_name}}</h1><p>{{agent_name}}</p></div>
<nav class="session-bar" aria-label="Conversations">
<button id="new-chat" type="button" class="btn" data-variant="outline" data-size="sm">New chat</button>
<button id="clear-chat" type="button" class="btn" data-variant="outline" data-size="sm" title="Clears this view; the conversation stays saved">Clear</button>
<button id="email-summary" type="button" class="btn" data-variant="outline" data-size="sm" title="Emails this conversation's summary to our team" disabled>Email summary</button>
<details id="sessions"><summary>Past chats</summary><div id="session-list" aria-live="polite"></div></details>
</nav>
<p id="summary-status" class="summary-status" role="status" aria-live="polite"></p>
</header>
<div id="messages" class="messages" aria-live="polite"></div>
<form id="chat-form" class="composer" hx-post="/a/{{agent}}/chat" hx-target="#messages" hx-swap="beforeend" data-agent="{{agent}}" data-submit-shortcut="{{shortcut}}" data-enter-inserts-newline="{{enter_newline}}" data-debounce-ms="{{debounce_ms}}" data-sse="{{sse}}" data-allow-basic-html="{{allow_basic_html}}" data-handoff="{{handoff}}">
<label for="message" class="visually-hidden">Your message</label>
<textarea id="message" class="textarea" name="message" rows="3" maxlength="{{max_chars}}" placeholder="Ask about our products and services…" required></textarea>
<input type="hidden" id="session-key" name="session_key">
<input type="hidden" id="idempotency-key" name="idempotency_key">
<div class="actions"><button id="send" type="submit" class="btn">Send</button></div>
<p class="hint">{{hint}}</p>
</form>
</main>
</body>
</html>
)";

// The assistant bubble opens the SSE stream itself (htmx SSE extension) and closes it on
// `done`. The `error` event is handled by page.js, not sse-swap: an EventSource reports
// connection failures under the same event name. `citations` swaps in the sources list, and
// page.js turns the answer's [n] markers into links to it.
constexpr std::string_view partial = R"(<div class="msg user"><div class="text">{{message}}</div></div>
<div class="msg assistant" hx-ext="sse" sse-connect="{{stream_url}}" sse-close="done"><span class="label" sse-swap="meta"></span><div class="notice" role="status" sse-swap="notice"></div><div class="text md" sse-swap="token" hx-swap="beforeend"></div><div class="sources-slot" sse-swap="citations"></div><div class="error" role="alert" hidden></div></div>
{{{session_input}}})";

// ui.sse_enabled: false — no event stream: page.js GETs the answer URL as one JSON document
// once the whole answer is ready, and fills the same bubble.
constexpr std::string_view partial_whole = R"(<div class="msg user"><div class="text">{{message}}</div></div>
<div class="msg assistant" data-answer-url="{{stream_url}}"><span class="label"></span><div class="notice" role="status"></div><div class="text md"></div><div class="sources-slot"></div><div class="error" role="alert" hidden></div></div>
{{{session_input}}})";

constexpr std::string_view session_input =
    R"(<input type="hidden" id="session-key" name="session_key" value="{{key}}" hx-swap-oob="true">)";

// Stored messages, in the same markup the chat partial and the stream produce.
constexpr std::string_view history_user =
    R"(<div class="msg user" data-message-id="{{id}}" data-created-at="{{at}}"><div class="text">{{content}}</div></div>
)";
constexpr std::string_view history_assistant =
    R"(<div class="msg assistant" data-message-id="{{id}}" data-created-at="{{at}}"><span class="label">{{{badge}}}</span><div class="text md">{{content}}</div><div class="sources-slot">{{{sources}}}</div></div>
)";
// A team member's reply in a handoff: their name from salient.yaml, the text rendered by the
// page's markdown like an answer's.
constexpr std::string_view history_team =
    R"(<div class="msg team" data-message-id="{{id}}" data-created-at="{{at}}"><span class="label team-name">{{name}} · team</span><div class="text md">{{content}}</div></div>
)";
constexpr std::string_view history_missing =
    R"(<div class="msg assistant missing"><div class="text">No answer was saved for this message.</div></div>
)";
constexpr std::string_view offline_badge =
    R"(<span class="badge offline" title="Answered without the AI model">Offline answer</span>)";

constexpr std::string_view session_item =
    R"(<li><button type="button" class="session" data-session-key="{{key}}"><span class="title">{{title}}</span> <time datetime="{{at}}">{{when}}</time> <span class="count">{{count}}</span></button></li>
)";
constexpr std::string_view no_sessions = R"(<p class="session-empty">No earlier chats in this browser.</p>
)";

constexpr std::string_view error_page = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{status}} {{title}}</title>
<link rel="stylesheet" href="/assets/page.css">
</head>
<body>
<main class="error-page">
<h1>{{title}}</h1>
<p>{{message}}</p>
<p><a href="/">Back to the home page</a></p>
</main>
</body>
</html>
)";

constexpr std::string_view error_fragment =
    R"(<div class="msg error" role="alert" data-code="{{code}}"><p>{{message}}</p></div>
)";

const char* title_for(int status) {
  switch (status) {
    case 400: return "Bad request";
    case 401: return "Not authorised";
    case 403: return "Forbidden";
    case 404: return "Not found";
    case 405: return "Method not allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Too large";
    case 415: return "Unsupported media type";
    case 429: return "Too many requests";
    case 501: return "Not available yet";
    case 502: return "Upstream error";
    case 503: return "Temporarily unavailable";
    default: return "Something went wrong";
  }
}

}  // namespace

// Side by side: the same question answered with and without retrieval, so a site
// owner sees what grounding in their own pages changes. compare.js sends the question twice
// (a session per side) and reads both answers; the second stream asks for `rag=off`.
constexpr std::string_view compare_page = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>With and without your pages · {{app_name}}</title>
<link rel="stylesheet" href="/assets/basecoat.min.css">
<link rel="stylesheet" href="/assets/page.css">
<script src="/assets/compare.js" defer></script>
</head>
<body>
<main class="compare" data-agent="{{agent}}">
<header class="chat-header"><div class="titles"><h1>{{app_name}}</h1><p>{{agent_name}}: the same question, with and without retrieval from your pages</p></div>
<nav class="session-bar"><a href="/a/{{agent}}/">Back to the chat</a></nav></header>
<form id="compare-form" class="composer">
<label for="question" class="visually-hidden">Your question</label>
<textarea id="question" class="textarea" name="question" rows="2" maxlength="{{max_chars}}" placeholder="Ask a question about the business…" required></textarea>
<div class="actions"><button id="ask" type="submit" class="btn">Ask both</button></div>
</form>
<div class="compare-panes">
<section class="pane" id="pane-with" aria-labelledby="with-title"><h2 id="with-title">With retrieval</h2><div class="msg assistant" aria-live="polite"><span class="label"></span><div class="notice" role="status"></div><div class="text"></div><div class="sources-slot"></div><div class="error" role="alert" hidden></div></div></section>
<section class="pane" id="pane-without" aria-labelledby="without-title"><h2 id="without-title">Without retrieval</h2><div class="msg assistant" aria-live="polite"><span class="label"></span><div class="notice" role="status"></div><div class="text"></div><div class="sources-slot"></div><div class="error" role="alert" hidden></div></div></section>
</div>
</main>
</body>
</html>
)";

std::string render_compare_page(const config& cfg, const agent_config& agent) {
  return render(compare_page, {{"app_name", cfg.app.name},
                               {"agent_name", agent.name},
                               {"agent", agent.code},
                               {"max_chars", std::to_string(cfg.chat.max_message_chars)}});
}

namespace {

/// The composer's hint line for chat.input (which key sends, which adds a new line).
std::string_view input_hint(const config& cfg) {
  if (cfg.chat.input.submit_shortcut == "enter") return "Enter to send · Shift+Enter for a new line";
  if (cfg.chat.input.enter_inserts_newline) return "Ctrl+Enter to send · Enter for a new line";
  return "Ctrl+Enter to send · Shift+Enter for a new line";
}

}  // namespace

std::string render_chat_page(const config& cfg, const agent_config& agent) {
  std::string max_chars = std::to_string(cfg.chat.max_message_chars);
  std::string debounce = std::to_string(cfg.chat.input.debounce_ms);
  return render(chat_page, {{"app_name", cfg.app.name},
                            {"agent_name", agent.name},
                            {"agent", agent.code},
                            {"shortcut", cfg.chat.input.submit_shortcut},
                            {"enter_newline", cfg.chat.input.enter_inserts_newline ? "true" : "false"},
                            {"debounce_ms", debounce},
                            {"sse", cfg.ui.sse_enabled ? "true" : "false"},
                            {"allow_basic_html", cfg.ui.allow_basic_html ? "true" : "false"},
                            // The agent has a team to hand over to: the page shows "Talk to a person".
                            {"handoff", cfg.handoff_team_of(agent).empty() ? "0" : "1"},
                            {"max_chars", max_chars},
                            {"hint", input_hint(cfg)}});
}

std::string render_chat_partial(const chat_partial& p) {
  std::string input = p.generated_session_key.empty() ? std::string()
                                                      : render(session_input, {{"key", p.generated_session_key}});
  return render(p.whole ? partial_whole : partial,
                {{"message", p.message}, {"stream_url", p.stream_url}, {"session_input", input}});
}

std::string render_history(const std::vector<stored_message>& messages) {
  std::string out;
  bool awaiting_answer = false;  // the last message was the visitor's
  for (const auto& m : messages) {
    if (m.role == "user") {
      if (awaiting_answer) out += history_missing;
      out += render(history_user, {{"id", m.id}, {"at", m.created_at}, {"content", m.content}});
      awaiting_answer = true;
    } else if (m.role == "assistant") {
      // The answer's sources, as the stream showed them (stored with it: metadata.citations).
      std::string sources;
      if (auto cited = detail::parse_json(m.citations_json)) sources = sources_list_html(*cited);
      out += render(history_assistant, {{"id", m.id},
                                        {"at", m.created_at},
                                        {"content", m.content},
                                        {"badge", m.mode == "offline" ? offline_badge : std::string_view()},
                                        {"sources", sources}});
      awaiting_answer = false;
    } else if (m.role == "team") {
      out += render(history_team, {{"id", m.id}, {"at", m.created_at}, {"name", m.name.empty() ? std::string("Team") : m.name},
                                   {"content", m.content}});
      awaiting_answer = false;
    }
  }
  if (awaiting_answer) out += history_missing;
  return out;
}

std::string display_time(std::string_view t) {
  // ISO 8601 as Postgres' JSON (…T15:04:05.123456+00:00) or JavaScript's (…T15:04:05.123Z) has it.
  if (t.size() < 16 || (t[10] != 'T' && t[10] != ' ')) return std::string(t);
  std::string out = std::string(t.substr(0, 10)) + " " + std::string(t.substr(11, 5));
  std::size_t zone = t.find_first_of("Z+-", 16);
  std::string_view offset = zone == std::string_view::npos ? std::string_view() : t.substr(zone);
  if (offset == "Z" || offset == "+00:00" || offset == "+00") out += " UTC";
  else if (!offset.empty()) out += " " + std::string(offset);
  return out;
}

std::string render_session_list(const std::vector<session_summary>& sessions) {
  if (sessions.empty()) return std::string(no_sessions);
  std::string out = "<ul class=\"session-list\">\n";
  for (const auto& s : sessions) {
    std::string count = std::to_string(s.message_count) + (s.message_count == 1 ? " message" : " messages");
    std::string when = display_time(s.last_activity_at);
    out += render(session_item, {{"key", s.session_key},
                                 {"title", s.title.empty() ? std::string_view("(no messages)") : std::string_view(s.title)},
                                 {"at", s.last_activity_at},
                                 {"when", when},
                                 {"count", count}});
  }
  out += "</ul>\n";
  return out;
}

std::string render_error_page(const error& e) {
  std::string status = std::to_string(e.status());
  return render(error_page, {{"status", status}, {"title", title_for(e.status())}, {"message", e.message}});
}

std::string render_error_fragment(const error& e) {
  return render(error_fragment, {{"code", std::string(e.code_or_kind())}, {"message", e.message}});
}

}  // namespace salient
