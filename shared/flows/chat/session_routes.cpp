#include "flows/chat/session_routes.h"

#include <algorithm>
#include <optional>

#include "core/json.h"
#include "salient/render/pages.h"
#include "salient/http/respond.h"
#include "salient/upstream/store/handoff_store.h"
#include "salient/upstream/store/state_client.h"

#include "flows/visitor_json.h"
#include "http/chat_input.h"

namespace salient {
namespace {

/// These routes answer htmx with fragments; a plain browser POST gets one too (there is no
/// page to show a fragment of), JSON clients get JSON.
response_format fragment_or_json(const request& req) {
  response_format fmt = format_for(req);
  return fmt == response_format::json ? fmt : response_format::fragment;
}

/// The checks and body fields the routes start with; an error when the request is refused.
result<form_fields> read_request(function_context& ctx) {
  if (auto refused = chat_input::check_post(ctx.ex.req(), ctx.cfg)) return *refused;
  return chat_input::read_body_fields(ctx.ex.req(), {"session_keys"});
}

/// A request about one session: its body fields and its checked session_key.
struct session_request {
  form_fields fields;
  std::string session_key;
};
result<session_request> read_session_request(function_context& ctx) {
  auto fields = read_request(ctx);
  if (!fields) return fields.err();
  auto key = form_value(*fields, "session_key");
  if (!key || !chat_input::is_key(*key))
    return make_error(errc::bad_request, "session_key must be 8-128 letters, digits, '-' or '_'", "/session_key");
  std::string session_key(*key);
  return session_request{std::move(*fields), std::move(session_key)};
}

result<state_store> store_for(function_context& ctx) {
  auto store = state_store_from_env(ctx.env, ctx.cfg.limits.upstream_timeout_ms);
  if (!store) {
    ctx.ex.log(log_level::error, "config.invalid", {{"reason", store.err().message}});
    return make_error(errc::misconfigured, "the chat is not configured correctly yet");
  }
  return store;
}

/// Splits `a,b,,c` into keys, each checked; blanks are skipped, duplicates dropped.
result<std::vector<std::string>> parse_keys(std::string_view list) {
  std::vector<std::string> keys;
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view key = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (key.empty()) continue;
    if (!chat_input::is_key(key))
      return make_error(errc::bad_request, "each session key must be 8-128 letters, digits, '-' or '_'", "/session_keys");
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.emplace_back(key);
  }
  if (keys.size() > max_listed_sessions)
    return make_error(errc::bad_request, "at most " + std::to_string(max_listed_sessions) + " session keys at once",
                      "/session_keys");
  return keys;
}

/// An email address as a visitor types one: local@domain, no spaces or controls, at most 254
/// bytes (RFC 5321's path limit). Deliverability is the one-time code's job, not this.
bool plausible_email(std::string_view s) {
  std::size_t at = s.find('@');
  if (s.size() > 254 || at == 0 || at == std::string_view::npos || at + 1 >= s.size() || s.find('@', at + 1) != std::string_view::npos)
    return false;
  std::string_view domain = s.substr(at + 1);
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.') return false;
  return std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

/// A name: 1-120 bytes of valid UTF-8 without control characters, trimmed.
std::optional<std::string> clean_name(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty() || s.size() > 120 || !is_valid_utf8(s)) return std::nullopt;
  if (std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return std::nullopt;
  return std::string(s);
}

}  // namespace

task<void> post_history(function_context ctx, const agent_config& agent) {
  exchange& ex = ctx.ex;
  response_format fmt = fragment_or_json(ex.req());
  auto in = read_session_request(ctx);
  if (!in) {
    respond_error(ex, in.err(), fmt);
    co_return;
  }
  auto store = store_for(ctx);
  if (!store) {
    respond_error(ex, store.err(), fmt);
    co_return;
  }
  const std::string& session_key = in->session_key;
  auto history = parse_session_history(
      co_await ex.fetch(session_history_request(*store, ctx.cfg.app.tenant, agent.code, session_key)));
  if (ex.cancelled()) co_return;
  if (!history) {
    ex.log(log_level::warn, "history.store_failed", {{"agent", agent.code}, {"reason", history.err().message}});
    respond_error(ex, history.err(), fmt);
    co_return;
  }
  ex.log(log_level::info, "history.shown",
         {{"tenant", ctx.cfg.app.tenant}, {"agent", agent.code}, {"session_id", history->session_id},
          {"messages", static_cast<std::int64_t>(history->messages.size())}});
  if (fmt == response_format::json) {
    detail::json messages = detail::json::array();
    for (const auto& m : history->messages) messages.push_back(stored_message_json(m));
    // The profile card: the address labelled verified (a one-time code) or not (identify()).
    detail::json profile = history->profile ? visitor_profile_json(*history->profile) : detail::json();
    // allow_basic_html: how the widget renders these answers' markdown (ui.allow_basic_html).
    respond_json(ex, 200, detail::dump(detail::json{{"session_key", session_key},
                                                    {"allow_basic_html", ctx.cfg.ui.allow_basic_html},
                                                    {"messages", std::move(messages)},
                                                    {"profile", std::move(profile)}}));
  } else {
    respond_html(ex, 200, render_history(history->messages));
  }
}

task<void> post_sessions(function_context ctx, const agent_config& agent) {
  exchange& ex = ctx.ex;
  response_format fmt = fragment_or_json(ex.req());
  auto fields = read_request(ctx);
  if (!fields) {
    respond_error(ex, fields.err(), fmt);
    co_return;
  }
  auto keys = parse_keys(form_value(*fields, "session_keys").value_or(""));
  if (!keys) {
    respond_error(ex, keys.err(), fmt);
    co_return;
  }
  std::vector<session_summary> sessions;
  if (!keys->empty()) {  // nothing to look up: no store round trip
    auto store = store_for(ctx);
    if (!store) {
      respond_error(ex, store.err(), fmt);
      co_return;
    }
    auto listed = parse_list_sessions(co_await ex.fetch(list_sessions_request(*store, ctx.cfg.app.tenant, agent.code, *keys)));
    if (ex.cancelled()) co_return;
    if (!listed) {
      ex.log(log_level::warn, "sessions.store_failed", {{"agent", agent.code}, {"reason", listed.err().message}});
      respond_error(ex, listed.err(), fmt);
      co_return;
    }
    sessions = std::move(*listed);
  }
  if (fmt == response_format::json) {
    detail::json list = detail::json::array();
    for (const auto& s : sessions)
      list.push_back({{"session_key", s.session_key}, {"title", s.title}, {"created_at", s.created_at},
                      {"last_activity_at", s.last_activity_at}, {"message_count", s.message_count}});
    respond_json(ex, 200, detail::dump(detail::json{{"sessions", std::move(list)}}));
  } else {
    respond_html(ex, 200, render_session_list(sessions));
  }
}

task<void> post_identify(function_context ctx, const agent_config& agent) {
  exchange& ex = ctx.ex;
  const response_format fmt = response_format::json;  // the widget's call; no page shows it
  auto in = read_session_request(ctx);
  if (!in) {
    respond_error(ex, in.err(), fmt);
    co_return;
  }
  identify_args args{ctx.cfg.app.tenant, agent.code, in->session_key, std::nullopt, std::nullopt};
  if (auto email = form_value(in->fields, "email"); email && !email->empty()) {
    if (!plausible_email(*email)) {
      respond_error(ex, make_error(errc::bad_request, "email is not an email address", "/email"), fmt);
      co_return;
    }
    args.email = std::string(*email);
  }
  if (auto name = form_value(in->fields, "name"); name && !name->empty()) {
    args.name = clean_name(*name);
    if (!args.name) {
      respond_error(ex, make_error(errc::bad_request, "name must be 1-120 characters of text", "/name"), fmt);
      co_return;
    }
  }
  if (!args.email && !args.name) {
    respond_error(ex, make_error(errc::bad_request, "give an email, a name or both"), fmt);
    co_return;
  }
  auto store = store_for(ctx);
  if (!store) {
    respond_error(ex, store.err(), fmt);
    co_return;
  }
  auto stored = parse_identify(co_await ex.fetch(identify_request(*store, args)));
  if (ex.cancelled()) co_return;
  if (!stored) {
    ex.log(log_level::warn, "identify.store_failed", {{"agent", agent.code}, {"reason", stored.err().message}});
    respond_error(ex, stored.err(), fmt);
    co_return;
  }
  if (!*stored) {
    // Not an error for the widget, which sends the details again after the first message (a
    // 4xx would also be logged by browsers as a failed request).
    respond_json(ex, 200, R"({"status":"no_conversation"})");
    co_return;
  }
  // Which fields, never their values: no PII in logs.
  ex.log(log_level::info, "session.identified",
         {{"tenant", ctx.cfg.app.tenant}, {"agent", agent.code}, {"email", args.email.has_value()}, {"name", args.name.has_value()}});
  respond_json(ex, 200, R"({"status":"identified"})");
}

task<void> post_updates(function_context ctx, const agent_config& agent) {
  exchange& ex = ctx.ex;
  const response_format fmt = response_format::json;  // the widget's and the page's poll
  auto in = read_session_request(ctx);
  if (!in) co_return respond_error(ex, in.err(), fmt);
  std::string_view after = form_value(in->fields, "after").value_or("");
  // An ISO time the store wrote and the client echoes: digits, '-', ':', '.', 'T', 'Z', '+', ' '.
  if (after.size() > 40 || !std::all_of(after.begin(), after.end(), [](char c) {
        return (c >= '0' && c <= '9') || c == '-' || c == ':' || c == '.' || c == 'T' || c == 'Z' || c == '+' || c == ' ';
      }))
    co_return respond_error(ex, make_error(errc::bad_request, "after must be a time the chat was given", "/after"), fmt);
  auto store = store_for(ctx);
  if (!store) co_return respond_error(ex, store.err(), fmt);
  session_updates_args args{ctx.cfg.app.tenant, agent.code, in->session_key, std::string(after),
                            form_value(in->fields, "seen").value_or("1") != "0", ex.req().now_ms};
  auto updates = parse_session_updates(co_await ex.fetch(session_updates_request(*store, args)));
  if (ex.cancelled()) co_return;
  if (!updates) {
    ex.log(log_level::warn, "updates.store_failed", {{"agent", agent.code}, {"reason", updates.err().message}});
    co_return respond_error(ex, updates.err(), fmt);
  }
  detail::json messages = detail::json::array();
  for (const auto& m : updates->messages) messages.push_back(stored_message_json(m));
  detail::json handoff;  // null: no handoff, or it ended (the client stops polling)
  if (updates->handoff && updates->handoff->status == "open") {
    handoff = detail::json{{"active", true},
                           {"team", team_names(ctx.cfg.handoff_team_of(agent))},
                           {"response_time", ctx.cfg.handoff.response_time},
                           {"replied", !updates->handoff->last_team_reply_at.empty()}};
  }
  respond_json(ex, 200, detail::dump(detail::json{{"handoff", std::move(handoff)},
                                                  {"messages", std::move(messages)},
                                                  {"unread", updates->unread}}));
}

}  // namespace salient
