#include "flows/rate_limits.h"

#include <algorithm>

#include "core/json.h"
#include "flows/otp/otp_codes.h"

namespace salient {
namespace {

detail::json scopes_json(const rate_limit_scopes& s) {
  return detail::json{{"ip", s.ip}, {"session", s.session}, {"tenant", s.tenant}};
}

/// "42 seconds", "3 minutes", "5 hours": the wait as the visitor reads it.
std::string wait_words(int seconds) {
  auto unit = [](int n, std::string_view one) { return std::to_string(n) + " " + std::string(one) + (n == 1 ? "" : "s"); };
  if (seconds < 90) return unit(seconds, "second");
  if (seconds < 90 * 60) return unit((seconds + 59) / 60, "minute");
  return unit((seconds + 3599) / 3600, "hour");
}

}  // namespace

std::string client_ip_key(const function_context& ctx) {
  std::string_view ip = ctx.ex.req().client_ip;
  std::string_view secret = ctx.env.get("SALIENT_STREAM_SECRET");
  if (ip.empty() || secret.empty()) return {};
  return otp::keyed_hash(secret, "ip", {ctx.cfg.app.tenant, otp::ip_for_limits(ip)});
}

std::string chat_limits_json(const function_context& ctx, const agent_config& agent) {
  return detail::dump(detail::json{{"ip_key", client_ip_key(ctx)},
                                   {"messages_per_minute", scopes_json(agent.rate_limits.messages_per_minute)},
                                   {"tokens_per_day", scopes_json(agent.rate_limits.tokens_per_day)}});
}

error rate_limited_error(const rate_refusal& refused) {
  const std::string wait = wait_words(refused.retry_after_s);
  std::string message;
  if (refused.limit == "tokens_per_day")
    message = "This chat has reached its limit for today. Please try again in " + wait + ", or contact us directly.";
  else if (refused.limit == "emails_per_hour")
    message = "Too many emails were asked for. Please try again in " + wait + ".";
  else
    message = "You're sending messages faster than we can answer. Please wait " + wait + " and try again.";
  return make_coded_error(errc::too_many_requests, "rate_limited", message, refused.retry_after_s);
}

std::string email_limits_json(const function_context& ctx, const agent_config& agent, std::string_view session_key) {
  const rate_limit_scopes& per_hour = agent.rate_limits.emails_per_hour;
  // One fixed order (address, conversation, tenant): the store takes their locks in it.
  detail::json checks = detail::json::array();
  checks.push_back({{"scope", "ip"}, {"bucket", "email_ip"}, {"key", client_ip_key(ctx)}, {"limit", per_hour.ip},
                    {"window_seconds", 3600}});
  checks.push_back({{"scope", "session"}, {"bucket", "email_session"}, {"key", session_key},
                    {"limit", per_hour.session}, {"window_seconds", 3600}});
  checks.push_back({{"scope", "tenant"}, {"bucket", "email_tenant"}, {"key", "all"}, {"limit", per_hour.tenant},
                    {"window_seconds", 3600}});
  return detail::dump(checks);
}

std::optional<error> rate_limit_refusal(std::string_view limit, std::string_view scope, int retry_after_s) {
  if (limit != "messages_per_minute" && limit != "tokens_per_day" && limit != "emails_per_hour") return std::nullopt;
  return rate_limited_error(rate_refusal{std::string(limit), std::string(scope), std::max(1, retry_after_s)});
}

}  // namespace salient
