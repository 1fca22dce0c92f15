#include "flows/summary/summary_send.h"

#include <chrono>
#include <cstdio>

#include "core/json.h"
#include "flows/email_send.h"
#include "flows/summary/summarize.h"
#include "salient/http/stream_token.h"

namespace salient::summary {
namespace {

using detail::json;

/// now_ms as ISO 8601 UTC with milliseconds, the form the API answers with.
std::string iso_time(std::int64_t ms) {
  using namespace std::chrono;
  sys_time<milliseconds> t{milliseconds{ms}};
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  char out[32];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
  return out;
}

std::vector<std::string> strings_of(const json& obj, std::string_view key) {
  std::vector<std::string> out;
  const json* arr = detail::member(obj, key);
  if (arr && arr->is_array())
    for (const json& v : *arr)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

/// The llm_requests row of the model's calls, when it was asked.
std::string llm_json(const summary_result& r) {
  if (r.calls == 0) return {};
  auto count = [](std::int64_t n) { return n < 0 ? json() : json(n); };
  return detail::dump(json{{"model", r.model},
                           {"prompt_tokens", count(r.usage.prompt_tokens)},
                           {"completion_tokens", count(r.usage.completion_tokens)},
                           {"total_tokens", count(r.usage.total_tokens)},
                           {"cost", r.usage.cost ? json(*r.usage.cost) : json()}});
}

}  // namespace

const agent_config* agent_of(const config& cfg, std::string_view code) {
  if (const agent_config* a = cfg.find_enabled_agent(code)) return a;
  // A conversation with an agent switched off since: still summarized (or its handoff still
  // answered), with the default agent's settings, rather than claimed again by every run.
  return cfg.find_enabled_agent(cfg.app.default_agent);
}

std::string display_time(std::string_view iso) {
  if (iso.size() < 16 || iso[10] != 'T') return std::string(iso);
  return std::string(iso.substr(0, 10)) + " " + std::string(iso.substr(11, 5)) + " UTC";
}

lead_view lead_view_of(std::string_view lead_json, bool email_verified) {
  lead_view v;
  auto doc = detail::parse_json(lead_json);
  if (!doc || !doc->is_object()) return v;
  auto text = [&](std::string_view k) { return std::string(detail::string_member(*doc, k).value_or("")); };
  v.name = text("name"), v.email = text("email"), v.phone = text("phone"), v.company = text("company");
  v.address = text("address"), v.preferred_time = text("preferred_time"), v.language = text("language");
  v.outcome = text("outcome"), v.next_step = text("next_step"), v.summary = text("summary"), v.method = text("method");
  v.evidence = strings_of(*doc, "evidence"), v.needs = strings_of(*doc, "needs");
  v.interests = strings_of(*doc, "interests");
  v.email_verified = email_verified && !v.email.empty();
  return v;
}

result<services> services_from(function_context& ctx, bool business) {
  auto store = state_store_from_env(ctx.env, ctx.cfg.limits.upstream_timeout_ms);
  auto mailgun = mailgun_endpoint_from_env(ctx.env, ctx.cfg.limits.upstream_timeout_ms);
  std::string secret(ctx.env.get("SALIENT_STREAM_SECRET"));
  std::string problem = !store   ? store.err().message
                        : !mailgun ? mailgun.err().message
                        : secret.size() < min_stream_secret_bytes
                            ? "SALIENT_STREAM_SECRET must be set to at least 32 characters (it signs transcript links)"
                            : "";
  if (!problem.empty()) {
    ctx.ex.log(log_level::error, "config.invalid", {{"reason", problem}});
    return make_error(errc::misconfigured, "conversation summaries are not configured correctly yet");
  }
  std::string base(ctx.env.get("SALIENT_PUBLIC_URL"));
  while (!base.empty() && base.back() == '/') base.pop_back();
  return services{std::move(*store), std::move(*mailgun), std::move(secret), std::move(base),
                  business ? business_contacts(ctx.cfg, ctx.knowledge) : lead_rules::rules_context{}};
}

task<result<sent_summary>> summarize_and_send(function_context ctx, const services& s, const summary_claim& claim,
                                             std::string trigger) {
  exchange& ex = ctx.ex;
  const config& cfg = ctx.cfg;
  const agent_config* agent = agent_of(cfg, claim.agent);
  const std::string& recipient = agent ? cfg.sales_recipient_of(*agent) : cfg.email.sales_recipient;
  if (!agent || recipient.empty()) {
    ex.log(log_level::error, "config.invalid", {{"reason", "email.sales_recipient is not set"}});
    co_return make_error(errc::misconfigured, "conversation summaries are not set up yet (no sales recipient)");
  }

  std::vector<lead_rules::transcript_line> transcript;
  for (const history_message& m : claim.messages) transcript.push_back({m.role, m.content});
  summary_result summary = co_await summarize_lead(ctx, *agent, std::move(transcript), s.business,
                                                   claim.month_cost_usd);
  std::string lead = lead_rules::lead_card_json(summary.card);

  summary_store_args args{cfg.app.tenant, claim.session_id, claim.claim, trigger, summary.card.method,
                          summary.card.outcome, summary.card.summary, lead, claim.through, llm_json(summary),
                          claim.message_count, ex.req().now_ms, cfg.summary.link_days, lease_seconds};
  auto stored = parse_summary_store(co_await ex.fetch(summary_store_request(s.store, args), effect_policy::survive_cancel));
  if (!stored) co_return stored.err();
  if (stored->lost) {
    ex.log(log_level::warn, "summary.claim_lost", {{"session_id", claim.session_id}});
    co_return sent_summary{true, {}};
  }

  std::int64_t exp = ex.req().now_ms / 1000 + std::int64_t{cfg.summary.link_days} * 86400;
  std::string path = "/a/" + agent->code + "/transcript/" +
                     sign_transcript_link(s.link_secret, agent->code, stored->summary_id, exp);
  // "Verified" only for the address a code proved; the team replies to that one when there is one.
  const bool verified = claim.profile && claim.profile->verified && !claim.profile->email.empty();
  const bool card_verified = verified && lead_rules::detail::lower_ascii(claim.profile->email) == summary.card.email;
  summary_email_view view{brand_of(cfg, *agent), agent->name, lead_view_of(lead, card_verified),
                          s.public_url + path, display_time(stored->link_expires_at).substr(0, 10),
                          display_time(claim.started_at), display_time(claim.through), static_cast<long>(claim.message_count), trigger};
  rendered_email email = render_summary_email(view);
  email_message message{sender_of(cfg, s.mailgun), recipient, email.subject, email.text, email.html,
                        verified ? claim.profile->email : summary.card.email, "summary", {}, {}};
  email_record record{cfg.app.tenant, claim.session_id, recipient, email.subject, email.text, email.html,
                      "summary", {}, stored->summary_id, {}};
  auto sent = co_await send_email(ctx, s.store, s.mailgun, outgoing_email{std::move(message), std::move(record)},
                                 effect_policy::survive_cancel);
  if (!sent) co_return sent.err();
  ex.log(log_level::info, "summary.sent",
         {{"session_id", claim.session_id}, {"trigger", trigger}, {"method", summary.card.method},
          {"outcome", summary.card.outcome}});
  co_return sent_summary{false, iso_time(ex.req().now_ms)};
}

}  // namespace salient::summary
