// The signed-in operator's pages and forms, /metrics and the host's log flush
// (flows/admin/admin_flow.h). Each page is one or a few store calls (db/functions/admin.sql)
// rendered by render/admin_pages.h; every POST carries the session's CSRF token.
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <iterator>

#include "core/json.h"
#include "flows/admin/admin_flow.h"
#include "flows/admin/metrics_text.h"
#include "flows/otp/otp_codes.h"
#include "http/chat_input.h"
#include "render/admin_pages.h"
#include "salient/core/email_address.h"
#include "salient/core/entropy.h"
#include "salient/http/respond.h"
#include "upstream/store/admin_store.h"

namespace salient::admin {
namespace {

using detail::json;

// The variables shown on the configuration page as set or not (never their values).
constexpr std::string_view secret_names[] = {
    "SUPABASE_URL",       "SUPABASE_KEY",       "SALIENT_OTP_SECRET",  "SALIENT_STREAM_SECRET",
    "SALIENT_METRICS_TOKEN", "SALIENT_PUBLIC_URL", "OPENROUTER_API_KEY", "PINECONE_API_KEY",
    "OPENAI_API_KEY",     "MAILGUN_API_KEY",    "MAILGUN_DOMAIN",      "MAILGUN_WEBHOOK_SIGNING_KEY"};

constexpr int days_charted = 30;
constexpr int csv_max_leads = 5000;

admin_frame frame_of(const function_context& ctx, const signed_in& who, std::string active) {
  return admin_frame{ctx.cfg.app.name, who.email, who.csrf, std::move(active)};
}

void message_page(function_context& ctx, int status, const std::string& title, const std::string& text) {
  respond_html(ctx.ex, status, render_admin_message(ctx.cfg.app.name, title, text));
}

/// The store's answer to one admin RPC, or nullopt once an error page has been sent.
task<std::optional<json>> ask(function_context ctx, outbound_request rq, std::string_view fn) {
  auto answer = admin_store::parse_answer(co_await ctx.ex.fetch(std::move(rq)), fn);
  if (ctx.ex.cancelled()) co_return std::nullopt;
  if (!answer) {
    ctx.ex.log(log_level::warn, "admin.store_failed", {{"step", std::string(fn)}, {"reason", answer.err().message}});
    message_page(ctx, answer.err().status(), "The store did not answer", answer.err().message);
    co_return std::nullopt;
  }
  co_return std::move(*answer);
}

std::string query_value(const request& req, std::string_view name) {
  auto fields = parse_form(req.query);
  return fields ? std::string(form_value(*fields, name).value_or("")) : std::string();
}

task<void> dashboard(function_context ctx, const admin_setup& s, const signed_in& who) {
  const std::string& tenant = ctx.cfg.app.tenant;
  std::int64_t now = ctx.ex.req().now_ms;
  auto daily = co_await ask(ctx, admin_store::daily_request(s.store, tenant, days_charted, now), "salient_admin_daily");
  if (!daily) co_return;
  auto warnings = co_await ask(ctx, admin_store::warnings_request(s.store, tenant, 10), "salient_admin_warnings");
  if (!warnings) co_return;
  auto totals = co_await ask(ctx, admin_store::metrics_request(s.store, tenant, now), "salient_admin_metrics");
  if (!totals) co_return;
  respond_html(ctx.ex, 200,
               render_admin_dashboard(frame_of(ctx, who, "dashboard"), *daily, ctx.cfg.budget.monthly_usd, *warnings, *totals));
}

task<void> conversations(function_context ctx, const admin_setup& s, const signed_in& who) {
  const request& req = ctx.ex.req();
  admin_store::conversation_query q{query_value(req, "q"), query_value(req, "outcome"), 0, 50};
  if (q.text.size() > 200) q.text.resize(200);  // the RPC refuses longer; a cut search still answers
  std::string before = query_value(req, "before");
  if (!before.empty() && before.size() <= 15 && before.find_first_not_of("0123456789") == std::string::npos)
    std::from_chars(before.data(), before.data() + before.size(), q.before_ms);
  static constexpr std::string_view outcomes[] = {"", "LEAD", "CALLBACK", "INFO_ONLY", "SUPPORT", "SPAM", "none", "handoff"};
  if (std::find(std::begin(outcomes), std::end(outcomes), q.outcome) == std::end(outcomes)) q.outcome.clear();
  auto list = co_await ask(ctx, admin_store::conversations_request(s.store, ctx.cfg.app.tenant, q),
                           "salient_admin_conversations");
  if (!list) co_return;
  respond_html(ctx.ex, 200, render_admin_conversations(frame_of(ctx, who, "conversations"), *list, q.text, q.outcome));
}

task<void> conversation(function_context ctx, const admin_setup& s, const signed_in& who, std::string id) {
  if (!is_uuid(id)) co_return message_page(ctx, 404, "No such conversation", "There is no conversation at this address.");
  auto found = co_await ask(ctx, admin_store::conversation_request(s.store, ctx.cfg.app.tenant, id),
                            "salient_admin_conversation");
  if (!found) co_return;
  if (detail::string_member(*found, "status").value_or("") != "found")
    co_return message_page(ctx, 404, "No such conversation", "It may have been erased.");
  respond_html(ctx.ex, 200, render_admin_conversation(frame_of(ctx, who, "conversations"), *found));
}

task<void> leads(function_context ctx, const admin_setup& s, const signed_in& who, bool csv) {
  std::string status = query_value(ctx.ex.req(), "status");
  if (status != "new" && status != "contacted" && status != "won" && status != "lost") status.clear();
  auto list = co_await ask(ctx, admin_store::leads_request(s.store, ctx.cfg.app.tenant, csv ? "" : status,
                                                              csv ? csv_max_leads : 500),
                           "salient_admin_leads");
  if (!list) co_return;
  if (!csv) co_return respond_html(ctx.ex, 200, render_admin_leads(frame_of(ctx, who, "leads"), *list, status));
  ctx.ex.log(log_level::info, "admin.leads_exported", {});
  respond_text(ctx.ex, 200, "text/csv; charset=utf-8", admin_leads_csv(*list),
               {{"content-disposition", "attachment; filename=\"leads.csv\""}});
}

task<void> update_lead(function_context ctx, const admin_setup& s, const signed_in& who, std::string id,
                       form_fields fields) {
  if (!is_uuid(id)) co_return message_page(ctx, 404, "No such lead", "There is no lead at this address.");
  std::string status(form_value(fields, "status").value_or(""));
  std::string notes(form_value(fields, "notes").value_or(""));
  if (status != "new" && status != "contacted" && status != "won" && status != "lost")
    co_return message_page(ctx, 400, "Not saved", "The status must be new, contacted, won or lost.");
  if (utf8_length(notes) > 4000) co_return message_page(ctx, 400, "Not saved", "Notes can be at most 4000 characters.");
  auto updated = co_await ask(ctx,
                              admin_store::lead_update_request(s.store, ctx.cfg.app.tenant, id, status, notes, who.email,
                                                               ctx.ex.req().now_ms),
                              "salient_admin_lead_update");
  if (!updated) co_return;
  if (detail::string_member(*updated, "status").value_or("") != "updated")
    co_return message_page(ctx, 404, "Not saved", "This conversation no longer exists (it may have been erased).");
  ctx.ex.log(log_level::info, "admin.lead_updated", {{"status", status}});
  // Back where the form was: the conversation's page or the leads table, nothing else.
  std::string back(form_value(fields, "return_to").value_or(""));
  redirect(ctx.ex, back == "conversation" ? "/admin/conversations/" + id : "/admin/leads");
}

task<void> erase(function_context ctx, const admin_setup& s, const signed_in& who, form_fields fields) {
  auto email = normalize_email(form_value(fields, "email").value_or(""));
  if (!email) co_return message_page(ctx, 400, "Nothing erased", "Please enter the visitor's email address.");
  auto erased = co_await ask(ctx, admin_store::erase_request(s.store, ctx.cfg.app.tenant, *email,
                                                             otp::keyed_hash(s.secret, "email", {ctx.cfg.app.tenant, *email}),
                                                             who.email, ctx.ex.req().now_ms),
                             "salient_admin_erase");
  if (!erased) co_return;
  ctx.ex.log(log_level::info, "admin.erased", {});
  respond_html(ctx.ex, 200, render_admin_erase_result(frame_of(ctx, who, "leads"), *email, *erased));
}

void config_page(function_context& ctx, const signed_in& who, bool yaml) {
  json effective = detail::parse_json(to_json(ctx.cfg)).value_or(json::object());
  if (yaml)
    return respond_text(ctx.ex, 200, "application/yaml; charset=utf-8", admin_config_yaml(effective),
                        {{"content-disposition", "attachment; filename=\"salient.effective.yaml\""}});
  std::vector<std::pair<std::string, bool>> secrets;
  for (std::string_view name : secret_names) secrets.emplace_back(std::string(name), !ctx.env.get(name).empty());
  respond_html(ctx.ex, 200, render_admin_config(frame_of(ctx, who, "config"), effective, secrets));
}

task<void> warnings(function_context ctx, const admin_setup& s, const signed_in& who) {
  auto list = co_await ask(ctx, admin_store::warnings_request(s.store, ctx.cfg.app.tenant, 200), "salient_admin_warnings");
  if (!list) co_return;
  respond_html(ctx.ex, 200, render_admin_warnings(frame_of(ctx, who, "warnings"), *list));
}

}  // namespace

task<void> signed_in_route(function_context ctx, const admin_setup& s, const signed_in& who) {
  const request& req = ctx.ex.req();
  std::string_view rest = std::string_view(req.path).substr(6);  // below "/admin"
  constexpr std::string_view conv = "/conversations/", lead = "/leads/";
  if (req.method == "GET" || req.method == "HEAD") {
    if (rest == "/") co_return co_await dashboard(ctx, s, who);
    if (rest == "/conversations") co_return co_await conversations(ctx, s, who);
    if (rest.starts_with(conv)) co_return co_await conversation(ctx, s, who, std::string(rest.substr(conv.size())));
    if (rest == "/leads" || rest == "/leads.csv") co_return co_await leads(ctx, s, who, rest == "/leads.csv");
    if (rest == "/config" || rest == "/config.yaml") co_return config_page(ctx, who, rest == "/config.yaml");
    if (rest == "/warnings") co_return co_await warnings(ctx, s, who);
    co_return message_page(ctx, 404, "No such page", "There is no admin page at this address.");
  }
  bool form_route = rest == "/erase" || (rest.starts_with(lead) && rest.size() > lead.size());
  if (req.method != "POST" || !form_route) co_return message_page(ctx, 405, "Not allowed", "This address takes no such request.");
  std::optional<error> refused = chat_input::check_post(req, ctx.cfg);
  auto fields = refused ? result<form_fields>(*refused) : chat_input::read_body_fields(req);
  if (!fields) co_return message_page(ctx, fields.err().status(), "This request was refused", fields.err().message);
  std::string_view token = form_value(*fields, "csrf").value_or(req.header("x-csrf-token"));
  if (!csrf_ok(who, token)) {
    ctx.ex.log(log_level::warn, "admin.csrf_refused", {});
    co_return message_page(ctx, 403, "This form has expired", "Reload the page and try again.");
  }
  if (rest == "/erase") co_return co_await erase(ctx, s, who, std::move(*fields));
  co_await update_lead(ctx, s, who, std::string(rest.substr(lead.size())), std::move(*fields));
}

task<void> metrics_route(function_context ctx, const admin_setup& s, const signed_in* who) {
  exchange& ex = ctx.ex;
  const request& req = ex.req();
  if (req.method != "GET" && req.method != "HEAD")
    co_return respond_error(ex, make_error(errc::method_not_allowed, "use GET"), response_format::json);
  std::string_view token = ctx.env.get("SALIENT_METRICS_TOKEN");
  std::string_view auth = req.header("authorization");
  bool bearer = token.size() >= 16 && auth.starts_with("Bearer ") && auth.size() - 7 == token.size() &&
                sodium_memcmp(auth.data() + 7, token.data(), token.size()) == 0;
  if (!who && !bearer) {
    ex.respond({401, {{"content-type", "application/json"}, {"cache-control", "no-store"},
                      {"x-content-type-options", "nosniff"}, {"www-authenticate", "Bearer realm=\"salient metrics\""}}});
    ex.write(R"({"error":{"code":"unauthorized","message":"sign in to /admin/ or send Authorization: Bearer <SALIENT_METRICS_TOKEN>"}})");
    co_return;
  }
  auto store = admin_store::parse_answer(co_await ex.fetch(admin_store::metrics_request(s.store, ctx.cfg.app.tenant, req.now_ms)),
                                         "salient_admin_metrics");
  if (ex.cancelled()) co_return;
  // The store's counters missing still leaves this instance's: a scraper gets what there is.
  json from_store = store ? std::move(*store) : json::object();
  if (!store) ex.log(log_level::warn, "admin.store_failed", {{"step", "salient_admin_metrics"}, {"reason", store.err().message}});
  json instance = detail::parse_json(req.instance_metrics_json).value_or(json::object());
  if (query_value(req, "format") == "json" || prefers_json(req))
    co_return respond_json(ex, 200, metrics_json(from_store, instance, ctx.cfg.app.tenant));
  respond_text(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics_prometheus(from_store, instance, ctx.cfg.app.tenant));
}

task<void> log_flush(function_context ctx, const admin_setup& s) {
  exchange& ex = ctx.ex;
  auto lines = detail::parse_json(ex.req().body);
  if (!lines || !lines->is_array() || lines->size() > 100)
    co_return respond_error(ex, make_error(errc::bad_request, "the body must be a JSON array of at most 100 lines"),
                            response_format::json);
  auto stored = admin_store::parse_answer(
      co_await ex.fetch(admin_store::log_append_request(s.store, ctx.cfg.app.tenant, *lines)), "salient_log_append");
  if (ex.cancelled()) co_return;
  // No log line on failure: the host logs the flush's status itself, and a line logged here
  // would be queued for the next flush, a loop.
  if (!stored) co_return respond_error(ex, stored.err(), response_format::json);
  respond_json(ex, 200, detail::dump(*stored));
}

}  // namespace salient::admin
