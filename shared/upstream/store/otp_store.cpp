#include "salient/upstream/store/otp_store.h"

#include "core/json.h"
#include "upstream/store/store_json.h"

namespace salient {
namespace {

using detail::json;
using store_json::answer;
using store_json::text_or_null;
using store_json::unreadable;

int int_or_zero(const json& obj, std::string_view key) {
  auto v = detail::int_member(obj, key).value_or(0);
  return v < 0 ? 0 : v > 1'000'000 ? 1'000'000 : static_cast<int>(v);
}

}  // namespace

outbound_request otp_issue_request(const state_store& store, const otp_issue_args& a) {
  json body{{"p_tenant", a.tenant},       {"p_agent", a.agent},
            {"p_purpose", a.purpose},     {"p_email", a.email},
            {"p_email_key", a.email_key}, {"p_session_key", text_or_null(a.session_key)},
            {"p_code_hash", a.code_hash}, {"p_ip_key", text_or_null(a.ip_key)},
            {"p_now_ms", a.now_ms},       {"p_ip_limit", a.ip_limit},
            {"p_daily_cap", a.daily_cap}};
  if (!a.email_limits_json.empty()) body["p_email_limits"] = detail::parse_json(a.email_limits_json).value_or(json());
  return rpc_request(store, "salient_otp_issue", detail::dump(body));
}

result<otp_issued> parse_otp_issue(const fetch_result& r) {
  auto doc = answer(r, "salient_otp_issue");
  if (!doc) return doc.err();
  std::string_view status = detail::string_member(*doc, "status").value_or("");
  otp_issued out;
  if (status == "issued") {
    out.state = otp_issued::status::issued;
    out.otp_id = std::string(detail::string_member(*doc, "otp_id").value_or(""));
    out.session_id = std::string(detail::string_member(*doc, "session_id").value_or(""));
    if (out.otp_id.empty()) return unreadable();
  } else if (status == "nothing_held") {
    out.state = otp_issued::status::nothing_held;
  } else if (status == "no_session") {
    out.state = otp_issued::status::no_session;
  } else if (status == "limited") {
    out.state = otp_issued::status::limited;
    out.limit = std::string(detail::string_member(*doc, "limit").value_or(""));
    out.retry_after_s = int_or_zero(*doc, "retry_after");
    out.scope = std::string(detail::string_member(*doc, "scope").value_or(""));
  } else {
    return unreadable();
  }
  return out;
}

outbound_request otp_verify_request(const state_store& store, const otp_verify_args& a) {
  json body{{"p_tenant", a.tenant},       {"p_agent", a.agent},
            {"p_purpose", a.purpose},     {"p_email", a.email},
            {"p_email_key", a.email_key}, {"p_session_key", text_or_null(a.session_key)},
            {"p_code_hash", a.code_hash}, {"p_now_ms", a.now_ms},
            {"p_consent_version", a.consent_version}};
  return rpc_request(store, "salient_otp_verify", detail::dump(body));
}

result<otp_verified> parse_otp_verify(const fetch_result& r) {
  auto doc = answer(r, "salient_otp_verify");
  if (!doc) return doc.err();
  std::string_view status = detail::string_member(*doc, "status").value_or("");
  otp_verified out;
  using st = otp_verified::status;
  if (status == "verified") {
    out.state = st::verified;
    out.profile = store_json::profile_member(*doc);
    out.session_keys = store_json::string_array(*doc, "session_keys");
  } else if (status == "erased") {
    out.state = st::erased;
    if (const json* c = detail::member(*doc, "counts"); c && c->is_object())
      out.erased = {int_or_zero(*c, "sessions"), int_or_zero(*c, "messages"), int_or_zero(*c, "summaries"),
                    int_or_zero(*c, "profiles"), int_or_zero(*c, "emails")};
  } else if (status == "wrong") {
    out.state = st::wrong;
    out.tries_left = int_or_zero(*doc, "tries_left");
  } else if (status == "expired") {
    out.state = st::expired;
  } else if (status == "dead") {
    out.state = st::dead;
  } else if (status == "locked") {
    out.state = st::locked;
    out.retry_after_s = int_or_zero(*doc, "retry_after");
  } else {
    return unreadable();
  }
  return out;
}

outbound_request email_queue_request(const state_store& store, const email_record& e) {
  json body{{"p_tenant", e.tenant}, {"p_session_id", text_or_null(e.session_id)},
            {"p_to", e.to},         {"p_subject", e.subject},
            {"p_text", e.text},     {"p_html", e.html},
            {"p_kind", e.kind},     {"p_otp_id", text_or_null(e.otp_id)},
            {"p_summary_id", text_or_null(e.summary_id)},
            {"p_handoff_id", text_or_null(e.handoff_id)}};
  return rpc_request(store, "salient_email_queue", detail::dump(body));
}

result<std::string> parse_email_queue(const fetch_result& r) {
  auto doc = answer(r, "salient_email_queue");
  if (!doc) return doc.err();
  auto id = detail::string_member(*doc, "email_id");
  if (!id || id->empty()) return unreadable();
  return std::string(*id);
}

outbound_request email_result_request(const state_store& store, const email_outcome_args& a) {
  auto response = detail::parse_json(a.provider_response_json);
  json body{{"p_tenant", a.tenant},
            {"p_email_id", a.email_id},
            {"p_status", a.sent ? "sent" : a.unknown ? "unknown" : "failed"},
            {"p_provider_id", text_or_null(a.provider_id)},
            {"p_provider_response", response && response->is_object() ? *response : json::object()},
            {"p_now_ms", a.now_ms}};
  return rpc_request(store, "salient_email_result", detail::dump(body));
}

result<void> parse_email_result(const fetch_result& r) {
  auto doc = answer(r, "salient_email_result");
  if (!doc) return doc.err();
  return {};
}

}  // namespace salient
