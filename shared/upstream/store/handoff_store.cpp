#include "salient/upstream/store/handoff_store.h"

#include "core/json.h"
#include "upstream/store/store_json.h"

namespace salient {
namespace {

using detail::json;
using store_json::answer;
using store_json::string_or_empty;
using store_json::text_or_null;
using store_json::unreadable;

std::string status_of(const json& doc) { return string_or_empty(doc, "status"); }

/// H: every member a string or null; an id and a reply id are required.
std::optional<handoff_record> record_of(const json* h) {
  if (!h || !h->is_object()) return std::nullopt;
  handoff_record r{string_or_empty(*h, "id"),         string_or_empty(*h, "reply_id"),
                   string_or_empty(*h, "agent"),      string_or_empty(*h, "session_id"),
                   string_or_empty(*h, "status"),     string_or_empty(*h, "team_email"),
                   string_or_empty(*h, "created_at"), string_or_empty(*h, "expires_at"),
                   string_or_empty(*h, "quiet_until"), string_or_empty(*h, "last_team_reply_at"),
                   string_or_empty(*h, "thread_message_id")};
  if (r.id.empty()) return std::nullopt;
  return r;
}

std::optional<std::vector<stored_message>> messages_of(const json& doc) {
  std::vector<stored_message> out;
  const json* arr = detail::member(doc, "messages");
  if (!arr) return out;
  if (!arr->is_array()) return std::nullopt;
  for (const json& m : *arr) {
    // The sweep's lines carry no role: they are the visitor's (forwards) or the team's (notifies).
    json with_role = m;
    if (m.is_object() && !detail::member(m, "role")) with_role["role"] = "";
    auto sm = store_json::stored_message_of(with_role);
    if (!sm) return std::nullopt;
    if (sm->name.empty()) sm->name = string_or_empty(m, "name");
    out.push_back(std::move(*sm));
  }
  return out;
}

std::optional<std::vector<handoff_lines>> lines_of(const json& doc, std::string_view key) {
  std::vector<handoff_lines> out;
  const json* arr = detail::member(doc, key);
  if (!arr) return out;
  if (!arr->is_array()) return std::nullopt;
  for (const json& item : *arr) {
    auto h = record_of(detail::member(item, "handoff"));
    auto messages = item.is_object() ? messages_of(item) : std::nullopt;
    if (!h || !messages) return std::nullopt;
    handoff_lines lines{std::move(*h), string_or_empty(item, "email"), string_or_empty(item, "through"),
                        string_or_empty(item, "subject"), std::move(*messages)};
    if (lines.through.empty()) return std::nullopt;
    out.push_back(std::move(lines));
  }
  return out;
}

}  // namespace

outbound_request handoff_start_request(const state_store& store, const handoff_start_args& a) {
  json body{{"p_tenant", a.tenant},          {"p_agent", a.agent},
            {"p_session_key", a.session_key}, {"p_reply_id", a.reply_id},
            {"p_trigger", a.trigger},         {"p_now_ms", a.now_ms},
            {"p_reply_days", a.reply_days},   {"p_quiet_minutes", a.quiet_minutes},
            {"p_lease_seconds", a.lease_seconds}, {"p_per_session_per_day", a.per_session_per_day}};
  if (!a.email_limits_json.empty()) body["p_email_limits"] = detail::parse_json(a.email_limits_json).value_or(json());
  return rpc_request(store, "salient_handoff_start", detail::dump(body));
}

result<handoff_start> parse_handoff_start(const fetch_result& r) {
  auto doc = answer(r, "salient_handoff_start");
  if (!doc) return doc.err();
  std::string status = status_of(*doc);
  handoff_start out;
  using st = handoff_start::status;
  if (status == "no_conversation") return out;
  if (status == "limited") {
    out.state = st::limited;
    out.retry_after_s = static_cast<int>(detail::int_member(*doc, "retry_after").value_or(60));
    out.limit = std::string(detail::string_member(*doc, "limit").value_or(""));
    out.scope = std::string(detail::string_member(*doc, "scope").value_or(""));
    return out;
  }
  auto h = record_of(detail::member(*doc, "handoff"));
  if (!h) return unreadable();
  out.handoff = std::move(*h);
  if (status == "open") {
    out.state = st::open;
    return out;
  }
  if (status != "claimed") return unreadable();
  const json* c = detail::member(*doc, "claim");
  if (!c) return unreadable();
  auto claim = store_json::summary_claim_of(*c);
  if (!claim) return claim.err();
  out.state = st::claimed;
  out.claim = std::move(*claim);
  return out;
}

outbound_request handoff_request_request(const state_store& store, const handoff_request_args& a) {
  json body{{"p_tenant", a.tenant},         {"p_turn_id", a.turn_id},
            {"p_reply_id", a.reply_id},     {"p_now_ms", a.now_ms},
            {"p_reply_days", a.reply_days}, {"p_quiet_minutes", a.quiet_minutes},
            {"p_per_session_per_day", a.per_session_per_day}};
  if (!a.email_limits_json.empty()) body["p_email_limits"] = detail::parse_json(a.email_limits_json).value_or(json());
  return rpc_request(store, "salient_handoff_request", detail::dump(body));
}

result<handoff_request_status> parse_handoff_request(const fetch_result& r) {
  auto doc = answer(r, "salient_handoff_request");
  if (!doc) return doc.err();
  std::string status = status_of(*doc);
  if (status == "requested") return handoff_request_status::requested;
  if (status == "open") return handoff_request_status::open;
  if (status == "limited") return handoff_request_status::limited;
  return unreadable();
}

outbound_request handoff_lookup_request(const state_store& store, std::string_view tenant,
                                        std::string_view reply_id, std::int64_t now_ms) {
  return rpc_request(store, "salient_handoff_lookup",
                     detail::dump(json{{"p_tenant", tenant}, {"p_reply_id", reply_id}, {"p_now_ms", now_ms}}));
}

result<handoff_lookup> parse_handoff_lookup(const fetch_result& r) {
  auto doc = answer(r, "salient_handoff_lookup");
  if (!doc) return doc.err();
  std::string status = status_of(*doc);
  handoff_lookup out;
  if (status == "unknown") return out;
  if (status == "expired") {
    out.state = handoff_lookup::status::expired;
    return out;
  }
  auto h = record_of(detail::member(*doc, "handoff"));
  if (status != "ok" || !h) return unreadable();
  out.state = handoff_lookup::status::ok;
  out.handoff = std::move(*h);
  return out;
}

outbound_request inbound_token_take_request(const state_store& store, std::string_view tenant, std::string_view token,
                                            std::string_view mail_message_id, std::int64_t now_ms) {
  return rpc_request(store, "salient_inbound_token_take",
                     detail::dump(json{{"p_tenant", tenant}, {"p_token", token},
                                       {"p_mail_message_id", mail_message_id}, {"p_now_ms", now_ms}}));
}

result<token_take_status> parse_inbound_token_take(const fetch_result& r) {
  auto doc = answer(r, "salient_inbound_token_take");
  if (!doc) return doc.err();
  std::string status = status_of(*doc);
  if (status == "taken") return token_take_status::taken;
  if (status == "duplicate") return token_take_status::duplicate;
  if (status == "replayed") return token_take_status::replayed;
  return unreadable();
}

outbound_request handoff_reply_request(const state_store& store, const handoff_reply_args& a) {
  json body{{"p_tenant", a.tenant},   {"p_reply_id", a.reply_id},
            {"p_token", text_or_null(a.token)}, {"p_mail_message_id", a.mail_message_id},
            {"p_name", a.name},       {"p_text", a.text},
            {"p_now_ms", a.now_ms},   {"p_quiet_minutes", a.quiet_minutes}};
  return rpc_request(store, "salient_handoff_reply", detail::dump(body));
}

result<handoff_reply> parse_handoff_reply(const fetch_result& r) {
  auto doc = answer(r, "salient_handoff_reply");
  if (!doc) return doc.err();
  std::string status = status_of(*doc);
  using st = handoff_reply::status;
  handoff_reply out{st::unknown, string_or_empty(*doc, "message_id"), string_or_empty(*doc, "session_id")};
  if (status == "stored") out.state = st::stored;
  else if (status == "duplicate") out.state = st::duplicate;
  else if (status == "replayed") out.state = st::replayed;
  else if (status == "expired") out.state = st::expired;
  else if (status != "unknown") return unreadable();
  if (out.state == st::stored && out.message_id.empty()) return unreadable();
  return out;
}

outbound_request session_updates_request(const state_store& store, const session_updates_args& a) {
  json body{{"p_tenant", a.tenant},       {"p_agent", a.agent},          {"p_session_key", a.session_key},
            {"p_after", text_or_null(a.after)}, {"p_mark_seen", a.mark_seen}, {"p_now_ms", a.now_ms}};
  return rpc_request(store, "salient_session_updates", detail::dump(body));
}

result<session_updates> parse_session_updates(const fetch_result& r) {
  auto doc = answer(r, "salient_session_updates");
  if (!doc) return doc.err();
  session_updates out;
  if (const json* h = detail::member(*doc, "handoff"); h && !h->is_null()) {
    // The updates' handoff has no id of its own to show; the record wants one.
    json with_id = *h;
    if (with_id.is_object() && !detail::member(with_id, "id")) with_id["id"] = "-";
    auto rec = record_of(&with_id);
    if (!rec) return unreadable();
    out.handoff = std::move(*rec);
  }
  auto messages = messages_of(*doc);
  if (!messages) return unreadable();
  out.messages = std::move(*messages);
  out.unread = static_cast<int>(detail::int_member(*doc, "unread").value_or(0));
  return out;
}

outbound_request handoff_due_request(const state_store& store, const handoff_due_args& a) {
  json body{{"p_tenant", a.tenant},
            {"p_now_ms", a.now_ms},
            {"p_batch_seconds", a.batch_seconds},
            {"p_notify_minutes", a.notify_minutes},
            {"p_lease_seconds", a.lease_seconds},
            {"p_limit", a.limit}};
  return rpc_request(store, "salient_handoff_due", detail::dump(body));
}

result<handoff_due> parse_handoff_due(const fetch_result& r) {
  auto doc = answer(r, "salient_handoff_due");
  if (!doc) return doc.err();
  handoff_due out;
  if (const json* arr = detail::member(*doc, "team_emails"); arr && arr->is_array()) {
    for (const json& item : *arr) {
      auto h = record_of(detail::member(item, "handoff"));
      const json* c = detail::member(item, "claim");
      if (!h || !c) return unreadable();
      auto claim = store_json::summary_claim_of(*c);
      if (!claim) return claim.err();
      out.team_emails.emplace_back(std::move(*h), std::move(*claim));
    }
  }
  auto forwards = lines_of(*doc, "forwards");
  auto notifies = lines_of(*doc, "notifies");
  if (!forwards || !notifies) return unreadable();
  out.forwards = std::move(*forwards);
  out.notifies = std::move(*notifies);
  out.more = detail::bool_member(*doc, "more").value_or(false);
  return out;
}

outbound_request handoff_mark_request(const state_store& store, std::string_view tenant, std::string_view handoff_id,
                                      std::string_view through, bool forwarded) {
  return rpc_request(store, forwarded ? "salient_handoff_forwarded" : "salient_handoff_notified",
                     detail::dump(json{{"p_tenant", tenant}, {"p_handoff", handoff_id}, {"p_through", through}}));
}

result<void> parse_handoff_mark(const fetch_result& r) {
  if (auto e = parse_postgrest_error(r)) return to_error(*e, "salient_handoff_mark");
  return {};
}

}  // namespace salient
