// The stream function: GET /a/{agent}/events/stream?stream_id=… answers as server-sent events.
//
// The stream_id is verified (MAC, agent, expiry) before anything else; claiming the turn in
// the state store makes it single-use. Events: `meta` (how the answer is produced), `token`
// (text pieces, in order), then `done` with the stored assistant message id; or an `error`
// event. Every event carries an `id:`. Errors before the stream starts are answered with
// their HTTP status and a one-event SSE body, so fetch-based clients can read the reason.
//
// With an OPENROUTER_API_KEY the model answers (llm_answer.cpp); with none, or when the model
// cannot be reached, the offline responder answers (canned intents), clearly labelled.
#include <charconv>
#include <optional>

#include "core/json.h"
#include "salient/flows/flows.h"
#include "salient/render/html.h"
#include "salient/flows/stream/offline.h"
#include "salient/http/respond.h"
#include "salient/http/route.h"
#include "salient/http/sse.h"
#include "salient/upstream/store/state_client.h"
#include "salient/http/stream_token.h"

#include "flows/stream/answer_events.h"
#include "flows/stream/handoff_turn.h"
#include "flows/stream/llm_answer.h"
#include "flows/pinecone_retrieval.h"
#include "flows/retrieval.h"
#include "flows/store_retry.h"

namespace salient {
namespace {

/// Splits text into word-sized pieces (each word with the whitespace after it), the unit the
/// offline answer is streamed in so clients render it the same way as model tokens.
std::vector<std::string_view> pieces_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find_first_of(" \n", start);
    end = end == std::string_view::npos ? text.size() : text.find_first_not_of(" \n", end);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

/// The offline answer from retrieved passages: their beginnings, each with its citation,
/// introduced as what it is (quoted pages, not a conversation).
std::string excerpts_answer(const std::vector<source>& sources) {
  std::string out = "Our assistant is offline right now, so here are excerpts from our pages that may answer you:\n";
  std::size_t shown = 0;
  for (const source& s : sources) {
    if (shown++ == 3) break;
    out += "\n“" + s.title + (s.heading.empty() ? "" : " — " + s.heading) + "”: " + snippet_of(s.text, 300) + " [" +
           std::to_string(s.n) + "]\n";
  }
  return out;
}

/// The passages this answer draws on: what the chat function found in Pinecone and stored with
/// the turn; else (no Pinecone, or it failed) the local index; none with `rag=off` (the
/// side-by-side page's second answer) or rag.enabled false.
turn_sources sources_for(const function_context& ctx, const claimed_turn& claim, bool rag_off) {
  turn_sources out;
  if (rag_off || !ctx.cfg.rag.enabled) {
    out.mode = "none";
    return out;
  }
  stored_retrieval stored = parse_stored_retrieval(detail::parse_json(claim.retrieval_json).value_or(detail::json()));
  if (stored.what == stored_retrieval::kind::pinecone) {
    out.list = std::move(stored.sources);
    out.mode = "pinecone";
    return out;
  }
  out.list = retrieve_local(ctx, claim.message, claim.history);
  out.mode = "local";
  out.degraded = stored.what == stored_retrieval::kind::unavailable;
  return out;
}

std::string offline_metadata(offline_intent intent, std::string_view reason, bool excerpts, const turn_sources& turn,
                             const std::vector<int>& cited, bool handoff_resumed) {
  const std::vector<source>& sources = turn.list;
  detail::json m{{"mode", "offline"}, {"intent", intent_name(intent)}, {"reason", reason}};
  if (handoff_resumed) m["handoff"] = "resumed";  // told once (salient_claim_turn)
  if (turn.degraded) m["retrieval_degraded"] = true;
  if (excerpts) {
    m["excerpts"] = true;
    m["retrieval"] = {{"mode", turn.mode}, {"passages", sources.size()}};
    m["citations"] = citations_json(sources, cited);
  }
  return detail::dump(m);
}

/// The head of a 200 event stream (no buffering on the way: x-accel-buffering for proxies).
/// Errors in the form the client reads: an SSE `error` event, or JSON for a `whole` answer.
response_format errors_for(event_format fmt) {
  return fmt == event_format::whole ? response_format::json : response_format::sse;
}

/// How long after its stream URL expires a dropped stream may still be resumed.
constexpr int resume_window_seconds = 600;

/// `<n>-<bytes>` (answer_events.h), each a plain decimal number.
struct event_position {
  int id = 0;
  std::size_t sent = 0;
};
std::optional<event_position> parse_event_id(std::string_view s) {
  std::size_t dash = s.find('-');
  if (dash == 0 || dash == std::string_view::npos || dash > 9 || s.size() - dash - 1 == 0 || s.size() - dash - 1 > 12)
    return std::nullopt;
  event_position out;
  std::uint64_t sent = 0;
  auto [a, ea] = std::from_chars(s.data(), s.data() + dash, out.id);
  auto [b, eb] = std::from_chars(s.data() + dash + 1, s.data() + s.size(), sent);
  if (ea != std::errc() || eb != std::errc() || a != s.data() + dash || b != s.data() + s.size() || out.id < 1)
    return std::nullopt;
  out.sent = static_cast<std::size_t>(sent);
  return out;
}

/// A stream GET with Last-Event-ID: the visitor's connection dropped. The stream that claimed
/// the turn was cancelled with it and stores what it had (finish_turn survives the cancel), so
/// this one sends the stored answer from where the client's copy stops, with its citations, an
/// `error` event when the answer itself was cut short, and `done`. Until that answer is
/// stored it is a 503 the client retries.
task<void> resume_stream(function_context& ctx, const state_store& store, std::string_view turn_id,
                         std::string_view last_event_id, event_format fmt) {
  exchange& ex = ctx.ex;
  const response_format err_fmt = errors_for(fmt);
  auto at = parse_event_id(last_event_id);
  if (!at) {
    respond_error(ex, make_error(errc::bad_request, "Last-Event-ID is not an event id of this stream"), err_fmt);
    co_return;
  }
  auto answer = parse_turn_answer(co_await ex.fetch(turn_answer_request(store, ctx.cfg.app.tenant, turn_id)));
  if (ex.cancelled()) co_return;
  if (!answer) {
    respond_error(ex, answer.err(), err_fmt);
    co_return;
  }
  if (answer->state == turn_answer::status::not_found) {
    respond_error(ex, make_error(errc::not_found, "this conversation turn does not exist"), err_fmt);
    co_return;
  }
  if (answer->state == turn_answer::status::pending) {
    respond_error(ex, make_error(errc::unavailable, "this answer is still being written; try again in a moment"),
                  err_fmt);
    co_return;
  }
  const std::string& text = answer->content;
  // The offset must fall inside the stored text and between two UTF-8 characters (token events
  // end on whole characters); anything else is not an id this answer's stream sent.
  if (at->sent > text.size() || (at->sent < text.size() && (static_cast<unsigned char>(text[at->sent]) & 0xC0) == 0x80)) {
    respond_error(ex, make_error(errc::bad_request, "Last-Event-ID is not an event id of this stream"), err_fmt);
    co_return;
  }
  answer_events events(ex, fmt, at->id, at->sent);
  events.open();
  if (at->sent < text.size()) events.token(std::string_view(text).substr(at->sent));
  if (auto cited = detail::parse_json(answer->citations_json)) events.citations(*cited);
  if (answer->interrupted)
    events.error(make_error(errc::upstream, "the answer was interrupted; please send your message again"), true);
  ex.log(log_level::info, "stream.resumed",
         {{"tenant", ctx.cfg.app.tenant}, {"from_bytes", static_cast<std::int64_t>(at->sent)},
          {"bytes", static_cast<std::int64_t>(text.size() - at->sent)}});
  events.done(answer->message_id);
}

}  // namespace

task<void> stream_flow(function_context ctx) {
  exchange& ex = ctx.ex;
  const request& req = ex.req();
  // Accept: application/json asks for the whole answer as one document (ui.sse_enabled: false).
  const bool whole = format_for(req) == response_format::json;
  const response_format err_fmt = whole ? response_format::json : response_format::sse;
  auto route = parse_agent_path(req.path);
  const agent_config* agent = route ? ctx.cfg.find_enabled_agent(route->agent) : nullptr;
  if (!route || route->rest != "/events/stream" || !agent) {
    respond_error(ex, make_error(errc::not_found, "there is no event stream at this address"), err_fmt);
    co_return;
  }
  if (req.method != "GET") {
    respond_error(ex, make_error(errc::method_not_allowed, "open the event stream with GET"), err_fmt);
    co_return;
  }
  auto query = parse_form(req.query);
  auto stream_id = query ? form_value(*query, "stream_id") : std::nullopt;
  if (!stream_id || stream_id->empty()) {
    respond_error(ex, make_error(errc::bad_request, "stream_id is missing"), err_fmt);
    co_return;
  }
  const bool json_events = form_value(*query, "format") == std::optional<std::string_view>("json");
  event_format fmt = whole ? event_format::whole : json_events ? event_format::json : event_format::html;
  std::string_view secret = ctx.env.get("SALIENT_STREAM_SECRET");
  auto store = state_store_from_env(ctx.env, ctx.cfg.limits.upstream_timeout_ms);
  if (secret.size() < min_stream_secret_bytes || !store) {
    ex.log(log_level::error, "config.invalid", {{"reason", store ? "SALIENT_STREAM_SECRET too short or unset" : store.err().message}});
    respond_error(ex, make_error(errc::misconfigured, "the chat is not configured correctly yet"), err_fmt);
    co_return;
  }
  // A resumed stream (Last-Event-ID) may come later than the first GET: the answer it continues
  // was streamed for a while before the connection dropped.
  const std::string_view last_event_id = req.header("last-event-id");
  auto turn_id = verify_stream_id(secret, agent->code, *stream_id, req.now_ms / 1000, ctx.cfg.limits.stream_ttl_seconds,
                                  last_event_id.empty() ? 0 : resume_window_seconds);
  if (!turn_id) {
    ex.log(log_level::info, "stream.rejected", {{"agent", agent->code}, {"reason", code_name(turn_id.err().kind)}});
    respond_error(ex, turn_id.err(), err_fmt);
    co_return;
  }

  if (!last_event_id.empty()) {
    co_await resume_stream(ctx, *store, *turn_id, last_event_id, fmt);
    co_return;
  }

  // Claimed with this request's own token, so that a claim whose answer was lost can be asked
  // again by this request (never by another: the stream stays single-use).
  const std::string claim_token = uuid_v7(req.now_ms, ctx.rng);
  auto claim = parse_claim_turn(co_await fetch_idempotent(
      ex, claim_turn_request(*store, ctx.cfg.app.tenant, *turn_id, default_history_limit, claim_token),
      effect_policy::cancel_with_client));
  if (ex.cancelled()) co_return;
  if (!claim) {
    respond_error(ex, claim.err(), err_fmt);
    co_return;
  }
  if (claim->state == claimed_turn::status::already_claimed) {
    respond_error(ex, make_error(errc::gone, "this answer was already streamed; send the message again"),
                  err_fmt);
    co_return;
  }
  if (claim->state == claimed_turn::status::not_found) {
    respond_error(ex, make_error(errc::not_found, "this conversation turn does not exist"), err_fmt);
    co_return;
  }

  answer_events events(ex, fmt);
  events.open();
  events.set_allow_basic_html(ctx.cfg.ui.allow_basic_html);
  if (claim->handoff && claim->handoff->quiet)
    co_return co_await hold_for_team(ctx, *agent, *store, *claim, *turn_id, events);
  if (claim->handoff && claim->handoff->resumed_note_due) events.notice("handoff_resumed", handoff_resumed_notice);
  // The visitor's own words asking for a person: the model's route offers the button, the
  // offline route (no model to ask what they meant) records the request.
  offline_intent intent = classify_offline(claim->message);
  const bool asks_for_person = asks_for_a_person(claim->message) && !claim->handoff &&
                               !ctx.cfg.handoff_team_of(*agent).empty();
  if (asks_for_person) events.set_handoff("offer");
  // The business's own passages for this question (already found, or the local index: no wait).
  const bool rag_off = form_value(*query, "rag") == std::optional<std::string_view>("off");
  const turn_sources found = sources_for(ctx, *claim, rag_off);
  const std::vector<source>& sources = found.list;
  if (found.degraded)
    events.notice("retrieval_unavailable",
                  sources.empty() ? "Our site search is unavailable right now, so this answer is not based on our pages."
                                  : "Our site search is unavailable right now, so this answer uses a saved copy of our pages.");

  // The model when there is a key, else (or when it cannot be reached) the offline responder.
  std::string_view offline_reason = "no_llm_key";
  auto endpoint = llm_endpoint_from_env(ctx.env);
  if (!endpoint) {
    ex.log(log_level::error, "config.invalid", {{"reason", endpoint.err().message}});
    offline_reason = "llm_misconfigured";
  } else if (*endpoint) {
    double budget = ctx.cfg.budget.monthly_usd;
    if (budget > 0 && claim->month_cost_usd >= budget) {
      // The month's budget is spent: no more model calls until the month turns.
      ex.log(log_level::warn, "llm.budget_spent", {{"tenant", ctx.cfg.app.tenant}, {"agent", agent->code}});
      offline_reason = "budget_spent";
    } else if (ctx.memory.breaker(ctx.cfg.app.tenant).open(req.now_ms)) {
      ex.log(log_level::info, "llm.breaker_open", {{"tenant", ctx.cfg.app.tenant}, {"agent", agent->code}});
      offline_reason = "llm_unavailable";
    } else {
      turn_context turn{*agent, *store, *claim, *turn_id, found};
      if (co_await answer_with_llm(ctx, turn, **endpoint, events)) co_return;
      if (ex.cancelled()) co_return;
      offline_reason = "llm_unavailable";
    }
  }

  if (asks_for_person) events.set_handoff(co_await request_handoff(ctx, *agent, *store, *turn_id));
  // Excerpts from the best passages when there are any (a greeting or a request for a person
  // gets its canned answer: passages would not help), else the canned answer for the intent.
  bool excerpts = !sources.empty() && intent != offline_intent::greeting && intent != offline_intent::human;
  const std::string answer = excerpts ? excerpts_answer(sources) : offline_answer(ctx.cfg.offline, intent);
  std::vector<int> cited = excerpts ? cited_numbers(answer, sources.size()) : std::vector<int>{};
  events.meta_offline(intent, offline_reason, excerpts);
  for (std::string_view piece : pieces_of(answer)) events.token(piece);
  events.citations(sources, cited);

  std::string message_id = uuid_v7(req.now_ms, ctx.rng);
  // The visitor may leave while this is stored: the answer they saw is kept regardless.
  auto finished = parse_finish_turn(co_await fetch_idempotent(
      ex, finish_turn_request(*store, {ctx.cfg.app.tenant, *turn_id, message_id, answer,
                                   offline_metadata(intent, offline_reason, excerpts, found, cited,
                                                    claim->handoff && claim->handoff->resumed_note_due),
                                   /*llm_request_json=*/{}}),
      effect_policy::survive_cancel));
  if (!finished) {
    // The visitor saw the answer; only its copy in the store is missing. Say so, don't retry.
    ex.log(log_level::warn, "stream.store_failed", {{"agent", agent->code}, {"reason", finished.err().message}});
    events.error(make_error(errc::unavailable, "the answer could not be saved"), false);
  }
  ex.log(log_level::info, "stream.answered",
         {{"tenant", ctx.cfg.app.tenant}, {"agent", agent->code}, {"session_id", claim->session_id},
          {"mode", "offline"}, {"intent", intent_name(intent)}, {"reason", std::string(offline_reason)}});
  events.done(finished ? std::string_view(message_id) : std::string_view());
}

}  // namespace salient
