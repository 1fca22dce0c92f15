// The operator's sign-in (flows/admin/admin_flow.h): an emailed code, then a signed cookie.
//
//   POST /admin/sign-in  {email}        a code (OTP purpose admin_sign_in) to a listed address;
//                                       any other address gets the same page and no email
//   POST /admin/verify   {email, code}  the cookie (admin_session.h), then 303 to /admin/
//   POST /admin/sign-out {csrf}         the cookie cleared
// Any other /admin/ request without a valid sign-in gets the sign-in page (401 below /admin/).
#include "flows/admin/admin_flow.h"

#include <algorithm>

#include "flows/email_send.h"
#include "flows/otp/otp_codes.h"
#include "http/chat_input.h"
#include "render/admin_pages.h"
#include "salient/core/email_address.h"
#include "salient/http/respond.h"
#include "salient/upstream/store/otp_store.h"

namespace salient::admin {
namespace {

constexpr std::string_view purpose = "admin_sign_in";

bool listed(const config& cfg, std::string_view email) {
  return std::find(cfg.admin.emails.begin(), cfg.admin.emails.end(), email) != cfg.admin.emails.end();
}

/// The address's key for the codes' per-address limits and lock: a kind of its own, so that what
/// a visitor does with the same address on /otp/ (its codes, its wrong tries) never counts here.
std::string email_key(const admin_setup& s, const config& cfg, std::string_view email) {
  return otp::keyed_hash(s.secret, "admin-email", {cfg.app.tenant, email});
}

std::string code_hash(const admin_setup& s, const config& cfg, std::string_view email, std::string_view code) {
  return otp::keyed_hash(s.secret, "code", {cfg.app.tenant, purpose, email, "", code});
}

std::string new_nonce(entropy& rng) {
  std::uint8_t bytes[16];
  rng.fill(bytes);
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

void sign_in_page(function_context& ctx, int status, const std::string& error, header_list extra = {}) {
  respond_html(ctx.ex, status, render_admin_sign_in(ctx.cfg.app.name, error, !ctx.cfg.admin.emails.empty()),
               std::move(extra));
}

void code_page(function_context& ctx, int status, const std::string& email, const std::string& error) {
  respond_html(ctx.ex, status, render_admin_code_form(ctx.cfg.app.name, email, error));
}

/// The form's fields after the size and origin checks, or the answer already given.
std::optional<form_fields> read_form(function_context& ctx) {
  const request& req = ctx.ex.req();
  std::optional<error> refused = chat_input::check_post(req, ctx.cfg);
  auto fields = refused ? result<form_fields>(*refused) : chat_input::read_body_fields(req);
  if (!fields) {
    respond_html(ctx.ex, fields.err().status(),
                 render_admin_message(ctx.cfg.app.name, "This request was refused", fields.err().message));
    return std::nullopt;
  }
  return std::move(*fields);
}

task<void> post_sign_in(function_context ctx, admin_setup s) {
  exchange& ex = ctx.ex;
  const config& cfg = ctx.cfg;
  auto fields = read_form(ctx);
  if (!fields) co_return;
  if (cfg.admin.emails.empty()) co_return sign_in_page(ctx, 404, "");
  auto email = normalize_email(form_value(*fields, "email").value_or(""));
  if (!email) co_return sign_in_page(ctx, 400, "Please enter a valid email address.");
  // An unlisted address goes through the same store call (a code is made, counted and limited
  // alike) but is sent nothing: answers, limits and timing up to the email tell no one who may
  // sign in.
  bool is_listed = listed(cfg, *email);
  const request& req = ex.req();
  std::string code = otp::new_code(ctx.rng);
  otp_issue_args args{cfg.app.tenant, cfg.app.default_agent, std::string(purpose), *email, email_key(s, cfg, *email), "",
                      code_hash(s, cfg, *email, code),
                      req.client_ip.empty() ? std::string()
                                            : otp::keyed_hash(s.secret, "ip", {cfg.app.tenant, otp::ip_for_limits(req.client_ip)}),
                      req.now_ms, cfg.admin.codes_per_ip_per_hour, cfg.admin.daily_emails, ""};
  auto issued = parse_otp_issue(co_await ex.fetch(otp_issue_request(s.store, args)));
  if (ex.cancelled()) co_return;
  if (!issued) {
    ex.log(log_level::warn, "admin.store_failed", {{"step", "otp_issue"}, {"reason", issued.err().message}});
    co_return code_page(ctx, issued.err().status(), *email, "The code could not be sent just now; please try again.");
  }
  if (issued->state != otp_issued::status::issued) {
    ex.log(log_level::info, "admin.sign_in_limited", {{"limit", issued->limit}});
    co_return code_page(ctx, 429, *email, "Too many codes were asked for; please wait before asking again.");
  }
  if (!is_listed) {
    ex.log(log_level::info, "admin.sign_in_unlisted", {});
    co_return code_page(ctx, 200, *email, "");
  }
  auto mailgun = mailgun_endpoint_from_env(ctx.env, cfg.limits.upstream_timeout_ms);
  const agent_config* agent = cfg.find_enabled_agent(cfg.app.default_agent);
  if (!mailgun || !agent) {
    ex.log(log_level::error, "config.invalid", {{"reason", mailgun ? "no enabled default agent" : mailgun.err().message}});
    co_return code_page(ctx, 500, *email, "Email is not configured correctly yet, so no code can be sent.");
  }
  email_brand brand = brand_of(cfg, *agent);
  rendered_email sent = render_otp_code_email(brand, otp_purpose::admin_sign_in, code, otp::valid_minutes);
  rendered_email stored = render_otp_code_email(brand, otp_purpose::admin_sign_in, otp::masked_code, otp::valid_minutes);
  outgoing_email mail{email_message{sender_of(cfg, *mailgun), *email, sent.subject, std::move(sent.text),
                                    std::move(sent.html), {}, "admin-code", {}, {}},
                      email_record{cfg.app.tenant, {}, *email, stored.subject, std::move(stored.text),
                                   std::move(stored.html), "admin_code", issued->otp_id, {}, {}}};
  auto outcome = co_await send_email(ctx, s.store, *mailgun, std::move(mail));
  if (ex.cancelled()) co_return;
  if (!outcome) co_return code_page(ctx, outcome.err().status(), *email, "The code could not be sent just now; please try again.");
  ex.log(log_level::info, "admin.code_sent", {});
  code_page(ctx, 200, *email, "");
}

task<void> post_verify(function_context ctx, admin_setup s) {
  exchange& ex = ctx.ex;
  const config& cfg = ctx.cfg;
  auto fields = read_form(ctx);
  if (!fields) co_return;
  auto email = normalize_email(form_value(*fields, "email").value_or(""));
  if (!email) co_return sign_in_page(ctx, 400, "Please enter a valid email address.");
  auto code = otp::read_code(form_value(*fields, "code").value_or(""));
  if (!code) co_return code_page(ctx, 400, *email, "The code is the 6 digits from the email.");
  // An unlisted address is checked like a listed one (its codes were never sent), and even a
  // right code for it signs no one in.
  otp_verify_args args{cfg.app.tenant, cfg.app.default_agent, std::string(purpose), *email, email_key(s, cfg, *email), "",
                       code_hash(s, cfg, *email, *code), std::string(otp::link_consent_version), ex.req().now_ms};
  auto verified = parse_otp_verify(co_await ex.fetch(otp_verify_request(s.store, args)));
  if (ex.cancelled()) co_return;
  if (!verified) {
    ex.log(log_level::warn, "admin.store_failed", {{"step", "otp_verify"}, {"reason", verified.err().message}});
    co_return code_page(ctx, verified.err().status(), *email, "The code could not be checked just now; please try again.");
  }
  using st = otp_verified::status;
  if (verified->state == st::verified && !listed(cfg, *email)) co_return code_page(ctx, 400, *email, "That code is not right.");
  switch (verified->state) {
    case st::verified: break;
    case st::wrong:
      co_return code_page(ctx, 400, *email, "That code is not right; " + std::to_string(verified->tries_left) +
                                                (verified->tries_left == 1 ? " try left." : " tries left."));
    case st::expired: co_return code_page(ctx, 410, *email, "This code has expired or was already used; ask for a new one.");
    case st::dead:
    case st::locked:
    case st::erased: co_return code_page(ctx, 429, *email, "Too many wrong codes were tried; ask for a new code later.");
  }
  signed_in who = new_session(s.secret, cfg, *email, ex.req().now_ms, new_nonce(ctx.rng));
  ex.log(log_level::info, "admin.signed_in", {});
  redirect(ex, "/admin/", {{"set-cookie", set_cookie(s.secret, cfg, who, ex.req().now_ms)}});
}

}  // namespace

bool is_admin_path(std::string_view path) {
  return path == "/metrics" || path == "/admin" || path.starts_with("/admin/");
}

void redirect(exchange& ex, std::string location, header_list extra) {
  extra.push_back({"location", std::move(location)});
  respond_html(ex, 303, "", std::move(extra));
}

task<void> admin_flow(function_context ctx) {
  exchange& ex = ctx.ex;
  const request& req = ex.req();
  const config& cfg = ctx.cfg;
  std::string secret(ctx.env.get("SALIENT_OTP_SECRET"));
  auto store = state_store_from_env(ctx.env, cfg.limits.upstream_timeout_ms);
  if (secret.size() < otp::min_secret_bytes || !store) {
    ex.log(log_level::error, "config.invalid",
           {{"reason", !store ? store.err().message : "SALIENT_OTP_SECRET must be set to at least 32 characters"}});
    error e = make_error(errc::misconfigured, "the admin view is not configured yet: it needs SALIENT_OTP_SECRET and SUPABASE_URL");
    if (req.path == "/metrics" || req.log_flush) respond_error(ex, e, response_format::json);
    else respond_html(ex, e.status(), render_admin_message(cfg.app.name, "Not configured yet", e.message));
    co_return;
  }
  admin_setup s{std::move(secret), std::move(*store)};
  if (req.log_flush) co_return co_await log_flush(ctx, s);

  refusal why = refusal::none;
  std::optional<signed_in> who = read_session(req, s.secret, cfg, why);
  if (!who && why != refusal::no_cookie) ex.log(log_level::info, "admin.session_refused", {{"reason", std::string(refusal_name(why))}});
  if (req.path == "/metrics") co_return co_await metrics_route(ctx, s, who ? &*who : nullptr);
  if (req.path == "/admin") co_return redirect(ex, "/admin/");

  std::string_view rest = std::string_view(req.path).substr(6);
  bool post = req.method == "POST";
  if (rest == "/sign-in" || rest == "/verify") {
    if (!post) co_return redirect(ex, "/admin/");
    co_return co_await (rest == "/sign-in" ? post_sign_in(ctx, std::move(s)) : post_verify(ctx, std::move(s)));
  }
  if (rest == "/sign-out" && post) {
    auto fields = read_form(ctx);
    if (!fields) co_return;
    // Without a valid token a forged post could sign an operator out; with no sign-in there is
    // nothing to protect, and the stale cookie goes either way.
    if (who && !csrf_ok(*who, form_value(*fields, "csrf").value_or("")))
      co_return respond_html(ex, 403, render_admin_message(cfg.app.name, "This form has expired", "Reload the page and try again."));
    ex.log(log_level::info, "admin.signed_out", {});
    co_return redirect(ex, "/admin/", {{"set-cookie", clear_cookie()}});
  }
  if (!who) {
    header_list clear;
    if (why != refusal::no_cookie) clear.push_back({"set-cookie", clear_cookie()});
    std::string note = why == refusal::expired      ? "Your sign-in has ended; please sign in again."
                       : why == refusal::not_listed ? "This address may no longer sign in here."
                       : rest == "/"                ? ""
                                                    : "Please sign in to see this page.";
    co_return sign_in_page(ctx, rest == "/" && !post ? 200 : 401, note, std::move(clear));
  }
  co_await signed_in_route(ctx, s, *who);
}

}  // namespace salient::admin
