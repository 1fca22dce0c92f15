// The chat function: the full-page chat and the POST that starts a turn.
//
// GET /a/{agent}/ is the page, /compare the side-by-side page, /settings what the widget needs of
// chat.input and ui; POST /a/{agent}/history, /sessions and /identify (session_routes.cpp) show
// stored conversations and store who the visitor is.
//
// POST /a/{agent}/chat takes `message`, `session_key`, `idempotency_key` as form data (htmx)
// or JSON. The message is stored (begin_turn) before anything else happens, so nothing the
// visitor sent is lost even if the answer fails; then a signed, single-use stream_id is
// minted and returned inside the stream URL (POST-then-GET: no prompt or PII in URLs). With
// Pinecone configured, the question is also searched here (pinecone_retrieval.h) and the
// passages stored with the turn before the stream URL goes out. begin_turn also applies the
// agent's rate limits (flows/rate_limits.h): a refused message is answered 429 and not stored.
#include "core/json.h"
#include "salient/flows/flows.h"
#include "salient/render/pages.h"
#include "salient/http/respond.h"
#include "salient/http/route.h"
#include "salient/upstream/store/state_client.h"
#include "salient/http/stream_token.h"

#include "http/chat_input.h"
#include "flows/pinecone_retrieval.h"
#include "flows/rate_limits.h"
#include "flows/chat/session_routes.h"

namespace salient {
namespace {

struct chat_request {
  std::string message;
  std::string session_key;      // empty = make one up
  std::string idempotency_key;  // empty = make one up (no retry protection then)
};

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

result<chat_request> read_input(const request& req, const config& cfg) {
  chat_request in;
  auto fields = chat_input::read_body_fields(req);
  if (!fields) return fields.err();
  auto field = [&](std::string_view name) -> std::optional<std::string> {
    auto v = form_value(*fields, name);
    return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
  };
  std::optional<std::string> message = field("message"), session = field("session_key"), idem = field("idempotency_key");
  if (!message) return make_error(errc::bad_request, "the message field is missing", "/message");
  if (!is_valid_utf8(*message)) return make_error(errc::bad_request, "the message is not valid UTF-8", "/message");
  std::string_view text = trim(*message);
  if (text.empty()) return make_error(errc::bad_request, "the message is empty", "/message");
  if (utf8_length(text) > static_cast<std::size_t>(cfg.chat.max_message_chars))
    return make_error(errc::payload_too_large,
                      "the message is too long (at most " + std::to_string(cfg.chat.max_message_chars) + " characters)",
                      "/message");
  in.message = std::string(text);
  if (session && !session->empty()) {
    if (!chat_input::is_key(*session))
      return make_error(errc::bad_request, "session_key must be 8-128 letters, digits, '-' or '_'", "/session_key");
    in.session_key = std::move(*session);
  }
  if (idem && !idem->empty()) {
    if (!chat_input::is_key(*idem))
      return make_error(errc::bad_request, "idempotency_key must be 8-128 letters, digits, '-' or '_'",
                        "/idempotency_key");
    in.idempotency_key = std::move(*idem);
  }
  return in;
}

task<void> post_chat(function_context ctx, const agent_config& agent) {
  exchange& ex = ctx.ex;
  const request& req = ex.req();
  response_format fmt = format_for(req);
  if (auto refused = chat_input::check_post(req, ctx.cfg)) {
    respond_error(ex, *refused, fmt);
    co_return;
  }
  auto input = read_input(req, ctx.cfg);
  if (!input) {
    respond_error(ex, input.err(), fmt);
    co_return;
  }
  std::string_view secret = ctx.env.get("SALIENT_STREAM_SECRET");
  auto store = state_store_from_env(ctx.env, ctx.cfg.limits.upstream_timeout_ms);
  if (secret.size() < min_stream_secret_bytes || !store) {
    error e = store ? make_error(errc::misconfigured, "SALIENT_STREAM_SECRET must be set to at least 32 characters")
                    : store.err();
    ex.log(log_level::error, "config.invalid", {{"reason", e.message}});
    respond_error(ex, make_error(errc::misconfigured, "the chat is not configured correctly yet"), fmt);
    co_return;
  }

  bool generated_session = input->session_key.empty();
  if (generated_session) input->session_key = uuid_v7(req.now_ms, ctx.rng);
  if (input->idempotency_key.empty()) input->idempotency_key = uuid_v7(req.now_ms, ctx.rng);
  std::string message_id = uuid_v7(req.now_ms, ctx.rng);

  // Pinecone, when configured: the question is searched once begin_turn has stored it (below).
  std::optional<pinecone_endpoint> pinecone;
  if (ctx.cfg.rag.enabled) {
    auto ep = pinecone_endpoint_from(ctx.cfg, ctx.env, ctx.cfg.app.tenant, agent.code);
    if (ep) pinecone = std::move(*ep);
    else ex.log(log_level::error, "config.invalid", {{"reason", ep.err().message}});  // the local index answers
  }

  // The rate limits are checked where the message is stored, before anything is paid for: the
  // question's embedding waits for begin_turn's answer (one store round trip) rather than
  // running beside it, so a refused or limited script costs no Pinecone call.
  begin_turn_args turn{ctx.cfg.app.tenant, agent.code, input->session_key, input->idempotency_key, message_id,
                       input->message, chat_limits_json(ctx, agent)};
  auto stored = parse_begin_turn(co_await ex.fetch(begin_turn_request(*store, turn)));
  if (ex.cancelled()) co_return;  // the visitor left: no one to answer, and not a store failure
  if (!stored && stored.err().kind == errc::conflict) {
    // A unique key said no: the same submission was stored concurrently (or a store without
    // the function's ON CONFLICT handling). Asking again returns the stored turn, marked
    // duplicate, instead of a second message or an error.
    ex.log(log_level::info, "chat.store_conflict", {{"agent", agent.code}});
    stored = parse_begin_turn(co_await ex.fetch(begin_turn_request(*store, turn)));
    if (ex.cancelled()) co_return;
  }
  if (!stored) {
    ex.log(log_level::warn, "chat.store_failed", {{"agent", agent.code}, {"reason", stored.err().message}});
    respond_error(ex, stored.err(), fmt);
    co_return;
  }
  if (stored->limited) {
    ex.log(log_level::info, "rate.limited",
           {{"agent", agent.code}, {"limit", stored->limited->limit}, {"scope", stored->limited->scope}});
    respond_error(ex, rate_limited_error(*stored->limited), fmt);
    co_return;
  }
  ex.log(log_level::info, "chat.turn_stored",
         {{"tenant", ctx.cfg.app.tenant}, {"agent", agent.code}, {"session_id", stored->session_id},
          {"turn_id", stored->turn_id}, {"duplicate", stored->duplicate}});

  if (pinecone) {
    // The passages go with the turn, for the stream to answer from. A failure here costs only
    // them: the stream then searches the local index, and says so when Pinecone failed.
    pinecone_started retrieval = start_pinecone(ctx, *pinecone, input->message);
    stored_retrieval found = co_await finish_pinecone(ctx, *pinecone, input->message, std::move(retrieval));
    if (ex.cancelled()) co_return;
    if (found.what == stored_retrieval::kind::unavailable)
      ex.log(log_level::warn, "retrieval.unavailable", {{"agent", agent.code}, {"reason", found.reason}});
    else if (found.sources.empty())  // most often a namespace nothing was loaded into (salient ingest --pinecone)
      ex.log(log_level::warn, "retrieval.empty", {{"agent", agent.code}, {"namespace", pinecone->ns}});
    auto attached = parse_attach_retrieval(co_await ex.fetch(
        attach_retrieval_request(*store, ctx.cfg.app.tenant, stored->turn_id, stored_retrieval_json(found))));
    if (ex.cancelled()) co_return;
    if (!attached && attached.err().kind != errc::conflict)  // conflict: a resubmission, already streamed
      ex.log(log_level::warn, "retrieval.store_failed", {{"agent", agent.code}, {"reason", attached.err().message}});
  }

  std::int64_t exp = req.now_ms / 1000 + ctx.cfg.limits.stream_ttl_seconds;
  std::string stream_url = "/a/" + agent.code + "/events/stream?stream_id=" +
                           percent_encode(sign_stream_id(secret, agent.code, stored->turn_id, exp));
  if (fmt == response_format::json) {
    stream_url += "&format=json";
    respond_json(ex, 200,
                 detail::dump(detail::json{{"message_id", stored->turn_id},
                                           {"session_key", input->session_key},
                                           {"stream_url", stream_url},
                                           {"expires_at", exp},
                                           {"duplicate", stored->duplicate}}));
  } else {
    respond_html(ex, 200,
                 render_chat_partial({input->message, stream_url,
                                      generated_session ? std::string_view(input->session_key) : std::string_view(),
                                      !ctx.cfg.ui.sse_enabled}));
  }
}

task<void> get_page(function_context ctx, const agent_config& agent) {
  respond_html(ctx.ex, 200, render_chat_page(ctx.cfg, agent));
  co_return;
}

task<void> get_compare(function_context ctx, const agent_config& agent) {
  respond_html(ctx.ex, 200, render_compare_page(ctx.cfg, agent));
  co_return;
}

/// What the widget needs to behave as the page does (chat.input, ui): it has no page of its own
/// to read them from.
task<void> get_settings(function_context ctx, const agent_config& agent) {
  const config& c = ctx.cfg;
  respond_json(ctx.ex, 200,
               detail::dump(detail::json{{"agent", agent.code},
                                         {"name", agent.name},
                                         {"submit_shortcut", c.chat.input.submit_shortcut},
                                         {"enter_inserts_newline", c.chat.input.enter_inserts_newline},
                                         {"debounce_ms", c.chat.input.debounce_ms},
                                         {"sse_enabled", c.ui.sse_enabled},
                                         {"allow_basic_html", c.ui.allow_basic_html},
                                         {"max_message_chars", c.chat.max_message_chars},
                                         {"handoff", detail::json{{"enabled", !c.handoff_team_of(agent).empty()},
                                                                  {"response_time", c.handoff.response_time}}}}));
  co_return;
}

using agent_handler = task<void> (*)(function_context, const agent_config&);

/// The chat function's routes under /a/{agent}: the path after the agent, the one method it
/// takes (GET also answers HEAD), and what a request with another method is told.
struct agent_route {
  std::string_view rest;
  std::string_view method;
  std::string_view wrong_method;
  agent_handler handle;
};

// POST for the routes that take session keys: they must not end up in URLs (logs, history,
// referrers).
constexpr agent_route agent_routes[] = {
    {"/", "GET", "use GET for this page", get_page},
    {"/compare", "GET", "use GET for this page", get_compare},
    {"/settings", "GET", "use GET for the settings", get_settings},
    {"/chat", "POST", "send messages with POST", post_chat},
    {"/history", "POST", "use POST with the session key in the body", post_history},
    {"/sessions", "POST", "use POST with the session key in the body", post_sessions},
    {"/identify", "POST", "use POST with the session key in the body", post_identify},
    {"/updates", "POST", "use POST with the session key in the body", post_updates},
};

}  // namespace

task<void> chat_flow(function_context ctx) {
  exchange& ex = ctx.ex;
  const request& req = ex.req();
  response_format fmt = format_for(req);
  if (req.path == "/__salient/trap" && ctx.env.get("SALIENT_ENABLE_TRAP_ROUTE") == "1") {
    // Test hook for the hosts' trap recovery: a real wasm `unreachable`, not a simulated one.
    __builtin_trap();
  }
  auto route = parse_agent_path(req.path);
  if (!route) {
    respond_error(ex, make_error(errc::not_found, "there is no page at this address"), fmt);
    co_return;
  }
  const agent_config* agent = ctx.cfg.find_enabled_agent(route->agent);
  if (!agent) {
    respond_error(ex, make_error(errc::not_found, "there is no assistant called '" + route->agent + "' here"), fmt);
    co_return;
  }
  if (route->rest.empty() && (req.method == "GET" || req.method == "HEAD")) {
    ex.respond({308, {{"location", "/a/" + agent->code + "/"}, {"cache-control", "no-store"}}});
    co_return;
  }
  for (const agent_route& r : agent_routes) {
    if (route->rest != r.rest) continue;
    if (req.method != r.method && !(r.method == "GET" && req.method == "HEAD")) {
      respond_error(ex, make_error(errc::method_not_allowed, std::string(r.wrong_method)), fmt);
      co_return;
    }
    co_await r.handle(ctx, *agent);
    co_return;
  }
  respond_error(ex, make_error(errc::not_found, "there is no page at this address"), fmt);
}

}  // namespace salient
