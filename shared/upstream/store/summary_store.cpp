#include "salient/upstream/store/summary_store.h"

#include "core/json.h"
#include "upstream/store/store_json.h"

namespace salient {
namespace {

using detail::json;
using store_json::answer;
using store_json::string_or_empty;
using store_json::text_or_null;
using store_json::unreadable;

std::vector<history_message> messages_of(const json& doc) {
  std::vector<history_message> out;
  const json* arr = detail::member(doc, "messages");
  if (!arr || !arr->is_array()) return out;
  for (const json& m : *arr)
    if (m.is_object()) out.push_back({string_or_empty(m, "role"), string_or_empty(m, "content")});
  return out;
}

}  // namespace

result<summary_claim> store_json::summary_claim_of(const json& c) {
  if (!c.is_object()) return unreadable();
  summary_claim one;
  one.claim = string_or_empty(c, "claim");
  one.session_id = string_or_empty(c, "session_id");
  one.session_key = string_or_empty(c, "session_key");
  one.agent = string_or_empty(c, "agent");
  one.through = string_or_empty(c, "through");
  one.started_at = string_or_empty(c, "started_at");
  one.message_count = detail::int_member(c, "message_count").value_or(0);
  one.messages = messages_of(c);
  one.profile = store_json::profile_member(c);
  one.month_cost_usd = detail::number_member(c, "month_cost_usd").value_or(0);
  if (one.claim.empty() || one.session_id.empty() || one.through.empty()) return unreadable();
  return one;
}

outbound_request summary_claim_request(const state_store& store, const summary_claim_args& a) {
  json body{{"p_tenant", a.tenant},
            {"p_agent", text_or_null(a.agent)},
            {"p_session_key", text_or_null(a.session_key)},
            {"p_now_ms", a.now_ms},
            {"p_idle_minutes", a.idle_minutes},
            {"p_limit", a.limit},
            {"p_lease_seconds", a.lease_seconds},
            {"p_per_session_per_day", a.per_session_per_day}};
  if (!a.email_limits_json.empty()) body["p_email_limits"] = detail::parse_json(a.email_limits_json).value_or(json());
  return rpc_request(store, "salient_summary_claim", detail::dump(body));
}

result<summary_claims> parse_summary_claim(const fetch_result& r) {
  auto doc = answer(r, "salient_summary_claim");
  if (!doc) return doc.err();
  std::string_view status = detail::string_member(*doc, "status").value_or("");
  summary_claims out;
  using st = summary_claims::status;
  if (status == "no_conversation") out.state = st::no_conversation;
  else if (status == "busy") out.state = st::busy;
  else if (status == "already_sent") {
    out.state = st::already_sent;
    out.sent_at = string_or_empty(*doc, "sent_at");
  } else if (status == "limited") {
    out.state = st::limited;
    out.retry_after_s = static_cast<int>(detail::int_member(*doc, "retry_after").value_or(60));
    out.limit = string_or_empty(*doc, "limit");
    out.scope = string_or_empty(*doc, "scope");
  } else if (status != "claimed") {
    return unreadable();
  }
  out.more = detail::bool_member(*doc, "more").value_or(false);
  out.unknown = static_cast<int>(detail::int_member(*doc, "unknown").value_or(0));
  const json* claims = detail::member(*doc, "claims");
  if (out.state == st::claimed && (!claims || !claims->is_array())) return unreadable();
  if (claims && claims->is_array()) {
    for (const json& c : *claims) {
      auto one = store_json::summary_claim_of(c);
      if (!one) return one.err();
      out.claims.push_back(std::move(*one));
    }
  }
  return out;
}

outbound_request summary_store_request(const state_store& store, const summary_store_args& a) {
  auto lead = detail::parse_json(a.lead_json);
  json body{{"p_tenant", a.tenant},
            {"p_session_id", a.session_id},
            {"p_claim", a.claim},
            {"p_trigger", a.trigger},
            {"p_method", a.method},
            {"p_outcome", text_or_null(a.outcome)},
            {"p_summary", a.summary},
            {"p_lead", lead && lead->is_object() ? *lead : json::object()},
            {"p_through", a.through},
            {"p_message_count", a.message_count},
            {"p_now_ms", a.now_ms},
            {"p_link_days", a.link_days},
            {"p_lease_seconds", a.lease_seconds}};
  if (auto llm = detail::parse_json(a.llm_json); llm && llm->is_object()) body["p_llm"] = *llm;
  return rpc_request(store, "salient_summary_store", detail::dump(body));
}

result<stored_summary> parse_summary_store(const fetch_result& r) {
  auto doc = answer(r, "salient_summary_store");
  if (!doc) return doc.err();
  std::string_view status = detail::string_member(*doc, "status").value_or("");
  if (status == "lost") return stored_summary{true, {}, {}};
  stored_summary out{false, string_or_empty(*doc, "summary_id"), string_or_empty(*doc, "link_expires_at")};
  if (status != "stored" || out.summary_id.empty()) return unreadable();
  return out;
}

outbound_request summary_transcript_request(const state_store& store, std::string_view tenant,
                                            std::string_view summary_id, std::int64_t now_ms) {
  json body{{"p_tenant", tenant}, {"p_summary_id", summary_id}, {"p_now_ms", now_ms}};
  return rpc_request(store, "salient_summary_transcript", detail::dump(body));
}

result<summary_transcript> parse_summary_transcript(const fetch_result& r) {
  auto doc = answer(r, "salient_summary_transcript");
  if (!doc) return doc.err();
  std::string_view status = detail::string_member(*doc, "status").value_or("");
  summary_transcript out;
  using st = summary_transcript::status;
  if (status == "gone") return out;
  if (status == "expired") {
    out.state = st::expired;
    return out;
  }
  if (status != "ok") return unreadable();
  out.state = st::ok;
  out.agent = string_or_empty(*doc, "agent");
  out.outcome = string_or_empty(*doc, "outcome");
  out.method = string_or_empty(*doc, "method");
  out.link_expires_at = string_or_empty(*doc, "link_expires_at");
  const json* lead = detail::member(*doc, "lead");
  out.lead_json = lead && lead->is_object() ? detail::dump(*lead) : "{}";
  if (const json* arr = detail::member(*doc, "messages"); arr && arr->is_array())
    for (const json& m : *arr)
      if (m.is_object())
        out.messages.push_back({{}, string_or_empty(m, "role"), string_or_empty(m, "content"),
                                string_or_empty(m, "created_at"), {}, {}, {}});
  return out;
}

}  // namespace salient
