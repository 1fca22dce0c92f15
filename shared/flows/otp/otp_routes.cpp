#include "flows/otp/otp_routes.h"

#include "core/json.h"
#include "flows/email_send.h"
#include "flows/otp/otp_codes.h"
#include "flows/rate_limits.h"
#include "flows/visitor_json.h"
#include "http/chat_input.h"
#include "salient/core/email_address.h"
#include "salient/upstream/store/otp_store.h"

namespace salient::otp {
namespace {

using detail::json;

std::string hours_or_minutes(int seconds) {
  if (seconds >= 7200) return std::to_string((seconds + 3599) / 3600) + " hours";
  int minutes = (seconds + 59) / 60;
  return minutes <= 1 ? "a minute" : std::to_string(minutes) + " minutes";
}

std::string email_key(const otp_setup& s, const config& cfg) {
  return keyed_hash(s.secret, "email", {cfg.app.tenant, s.email});
}

/// The code's keyed hash, bound to everything it may be used for.
std::string code_hash(const otp_setup& s, const config& cfg, std::string_view code) {
  return keyed_hash(s.secret, "code", {cfg.app.tenant, s.purpose_name, s.email, s.session_key, code});
}

void respond_ok(exchange& ex, response_format fmt, const json& body, const std::string& fragment,
                header_list extra = {}) {
  if (fmt == response_format::json) respond_json(ex, 200, detail::dump(body));
  else respond_html(ex, 200, fragment, std::move(extra));
}

}  // namespace

void respond_otp_error(exchange& ex, const error& e, response_format fmt) {
  if (fmt != response_format::fragment) {
    respond_error(ex, e, fmt);
    return;
  }
  header_list headers{{"hx-retarget", "#otp-error"}, {"hx-reswap", "outerHTML"}};
  if (e.retry_after_s > 0) headers.push_back({"retry-after", std::to_string(e.retry_after_s)});
  respond_html(ex, e.status(), render_otp_error(e.message), std::move(headers));
}

result<otp_setup> prepare(function_context& ctx) {
  const request& req = ctx.ex.req();
  if (auto refused = chat_input::check_post(req, ctx.cfg)) return *refused;
  auto fields = chat_input::read_body_fields(req);
  if (!fields) return fields.err();
  otp_setup s;
  std::string_view agent_code = form_value(*fields, "agent").value_or(ctx.cfg.app.default_agent);
  s.agent = ctx.cfg.find_enabled_agent(agent_code);
  if (!s.agent) return make_error(errc::not_found, "there is no assistant called '" + std::string(agent_code) + "' here", "/agent");
  s.purpose_name = std::string(form_value(*fields, "purpose").value_or(""));
  if (s.purpose_name == "link_session") s.purpose = otp_purpose::link_session;
  else if (s.purpose_name == "delete_data") s.purpose = otp_purpose::delete_data;
  else return make_error(errc::bad_request, "purpose must be link_session or delete_data", "/purpose");
  auto email = normalize_email(form_value(*fields, "email").value_or(""));
  if (!email) return make_coded_error(errc::bad_request, "invalid_email", "please enter a valid email address");
  s.email = std::move(*email);
  if (s.purpose == otp_purpose::link_session) {
    std::string_view key = form_value(*fields, "session_key").value_or("");
    if (!chat_input::is_key(key))
      return make_error(errc::bad_request, "session_key must be 8-128 letters, digits, '-' or '_'", "/session_key");
    s.session_key = std::string(key);
  }
  if (req.path == "/otp/verify") {
    auto code = read_code(form_value(*fields, "code").value_or(""));
    if (!code) return make_coded_error(errc::bad_request, "invalid_code", "the code is the 6 digits from the email");
    s.code = std::move(*code);
  }

  s.secret = std::string(ctx.env.get("SALIENT_OTP_SECRET"));
  auto store = state_store_from_env(ctx.env, ctx.cfg.limits.upstream_timeout_ms);
  auto mailgun = mailgun_endpoint_from_env(ctx.env, ctx.cfg.limits.upstream_timeout_ms);
  std::string problem = s.secret.size() < min_secret_bytes ? "SALIENT_OTP_SECRET must be set to at least 32 characters"
                        : !store                          ? store.err().message
                        : !mailgun                        ? mailgun.err().message
                                                          : "";
  if (!problem.empty()) {
    ctx.ex.log(log_level::error, "config.invalid", {{"reason", problem}});
    return make_error(errc::misconfigured, "email verification is not configured correctly yet");
  }
  s.store = std::move(*store);
  s.mailgun = std::move(*mailgun);
  return s;
}

task<void> post_request(function_context ctx, otp_setup s) {
  exchange& ex = ctx.ex;
  const request& req = ex.req();
  const config& cfg = ctx.cfg;
  response_format fmt = format_for(req);
  std::string code = new_code(ctx.rng);
  // Without the client's address (a host that does not give one) only the per-address and
  // per-tenant limits hold: say so, since the per-IP limit is silently off.
  if (req.client_ip.empty()) ex.log(log_level::warn, "otp.no_client_ip", {{"purpose", s.purpose_name}});
  otp_issue_args args{cfg.app.tenant, s.agent->code, s.purpose_name, s.email, email_key(s, cfg), s.session_key,
                      code_hash(s, cfg, code),
                      req.client_ip.empty() ? std::string()
                                            : keyed_hash(s.secret, "ip", {cfg.app.tenant, ip_for_limits(req.client_ip)}),
                      req.now_ms, cfg.otp.codes_per_ip_per_hour, cfg.otp.daily_emails,
                      // rate_limits.emails_per_hour on top of the code's own limits (an erasure's
                      // request has no conversation: its session limit is off)
                      email_limits_json(ctx, *s.agent, s.session_key)};
  auto issued = parse_otp_issue(co_await ex.fetch(otp_issue_request(s.store, args)));
  if (ex.cancelled()) co_return;
  if (!issued) {
    ex.log(log_level::warn, "otp.store_failed", {{"reason", issued.err().message}});
    respond_otp_error(ex, issued.err(), fmt);
    co_return;
  }
  using st = otp_issued::status;
  if (issued->state == st::no_session) {
    respond_otp_error(ex, make_coded_error(errc::bad_request, "no_conversation", "send a message first, then verify your email"),
                      fmt);
    co_return;
  }
  if (issued->state == st::limited) {
    ex.log(log_level::info, "otp.limited", {{"purpose", s.purpose_name}, {"limit", issued->limit}});
    if (auto refusal = rate_limit_refusal(issued->limit, issued->scope, issued->retry_after_s)) {
      respond_otp_error(ex, *refusal, fmt);
      co_return;
    }
    std::string wait = hours_or_minutes(issued->retry_after_s);
    std::string message = issued->limit == "locked"
                              ? "too many wrong codes were tried for this address; try again in " + wait
                              : "too many codes were asked for; please wait " + wait + " before asking again";
    respond_otp_error(ex, make_coded_error(errc::too_many_requests, "rate_limited", message, issued->retry_after_s), fmt);
    co_return;
  }

  email_brand brand = brand_of(cfg, *s.agent);
  bool with_code = issued->state == st::issued;
  rendered_email sent = with_code ? render_otp_code_email(brand, s.purpose, code, valid_minutes)
                                  : render_nothing_held_email(brand);
  rendered_email stored = with_code ? render_otp_code_email(brand, s.purpose, masked_code, valid_minutes) : sent;
  outgoing_email email{
      email_message{sender_of(cfg, s.mailgun), s.email, sent.subject, std::move(sent.text), std::move(sent.html), {},
                    with_code ? "otp-code" : "nothing-held", {}, {}},
      email_record{cfg.app.tenant, issued->session_id, s.email, stored.subject, std::move(stored.text),
                   std::move(stored.html), with_code ? "otp_code" : "nothing_held", issued->otp_id, {}, {}}};
  auto outcome = co_await send_email(ctx, s.store, s.mailgun, std::move(email));
  if (ex.cancelled()) co_return;
  if (!outcome) {
    respond_otp_error(ex, outcome.err(), fmt);
    co_return;
  }
  // The same answer whether or not the address is known (a code or "we hold nothing" was sent).
  ex.log(log_level::info, "otp.requested", {{"purpose", s.purpose_name}, {"agent", s.agent->code}});
  respond_ok(ex, fmt,
             json{{"status", "sent"}, {"purpose", s.purpose_name}, {"email", s.email},
                  {"expires_in_s", valid_minutes * 60}, {"resend_after_s", resend_after_s}},
             render_otp_code_form(s.purpose, s.email, s.agent->code, resend_after_s));
}

task<void> post_verify(function_context ctx, otp_setup s) {
  exchange& ex = ctx.ex;
  const config& cfg = ctx.cfg;
  response_format fmt = format_for(ex.req());
  otp_verify_args args{cfg.app.tenant, s.agent->code, s.purpose_name, s.email, email_key(s, cfg), s.session_key,
                       code_hash(s, cfg, s.code), std::string(link_consent_version), ex.req().now_ms};
  auto verified = parse_otp_verify(co_await ex.fetch(otp_verify_request(s.store, args)));
  if (ex.cancelled()) co_return;
  if (!verified) {
    ex.log(log_level::warn, "otp.store_failed", {{"reason", verified.err().message}});
    respond_otp_error(ex, verified.err(), fmt);
    co_return;
  }
  using st = otp_verified::status;
  ex.log(log_level::info, "otp.verify",
         {{"purpose", s.purpose_name},
          {"outcome", verified->state == st::verified ? "verified"
                      : verified->state == st::erased ? "erased"
                      : verified->state == st::wrong  ? "wrong"
                      : verified->state == st::locked ? "locked"
                                                      : "refused"}});
  switch (verified->state) {
    case st::wrong:
      respond_otp_error(ex,
                        make_coded_error(errc::bad_request, "wrong_code",
                              "that code is not right; " + std::to_string(verified->tries_left) +
                                  (verified->tries_left == 1 ? " try left" : " tries left")),
                        fmt);
      co_return;
    case st::expired:
      respond_otp_error(ex, make_coded_error(errc::gone, "expired", "this code has expired or was already used; ask for a new one"),
                        fmt);
      co_return;
    case st::dead:
      respond_otp_error(
          ex, make_coded_error(errc::too_many_requests, "too_many_tries", "too many wrong tries for this code; ask for a new one"),
          fmt);
      co_return;
    case st::locked:
      respond_otp_error(ex,
                        make_coded_error(errc::too_many_requests, "too_many_tries",
                              "too many wrong codes were tried for this address; try again in " +
                                  hours_or_minutes(verified->retry_after_s),
                              verified->retry_after_s),
                        fmt);
      co_return;
    case st::verified: {
      json keys = verified->session_keys;
      json body{{"status", "verified"}, {"email", s.email}, {"session_keys", keys}};
      if (verified->profile) body["profile"] = visitor_profile_json(*verified->profile);
      // The page's scripts add the profile's conversations to "Past chats" (HX-Trigger event).
      header_list trigger{{"hx-trigger", detail::dump(json{{"salient:verified", {{"session_keys", keys}}}})}};
      respond_ok(ex, fmt, body, render_otp_verified(s.email), std::move(trigger));
      co_return;
    }
    case st::erased: break;
  }

  // Erased. The confirmation goes to the address; its stored copy names no one.
  const erased_rows& n = verified->erased;
  rendered_email confirm = render_data_erased_email(brand_of(cfg, *s.agent),
                                                    erasure_counts{static_cast<long>(n.sessions), static_cast<long>(n.messages),
                                                                   static_cast<long>(n.summaries), static_cast<long>(n.profiles),
                                                                   static_cast<long>(n.emails)});
  outgoing_email email{email_message{sender_of(cfg, s.mailgun), s.email, confirm.subject, confirm.text, confirm.html,
                                     {}, "data-erased", {}, {}},
                       email_record{cfg.app.tenant, {}, "(erased visitor)", confirm.subject, confirm.text, confirm.html,
                                    "data_erased", {}, {}, {}}};
  auto outcome = co_await send_email(ctx, s.store, s.mailgun, std::move(email));
  if (ex.cancelled()) co_return;
  if (!outcome) ex.log(log_level::warn, "otp.confirmation_failed", {{"reason", outcome.err().message}});
  respond_ok(ex, fmt,
             json{{"status", "erased"},
                  {"erased", {{"sessions", n.sessions}, {"messages", n.messages}, {"summaries", n.summaries},
                              {"profiles", n.profiles}, {"emails", n.emails}}},
                  {"confirmation_sent", outcome.ok()}},
             render_data_erased_page_fragment());
}

}  // namespace salient::otp
