// Whole requests through the operator's view (flows/admin): the input's first byte picks the
// route, the method and whether the request carries a valid sign-in cookie, a forged one or the
// input's own; the rest is split into the request body (a form, or the host's log flush lines),
// the Cookie header's tail and the answer every effect gets (the store's, Mailgun's), and also
// serves as the host's instance_metrics for /metrics when it is a JSON object.
// Invariants: every request ends with exactly one response, whatever the browser, the store or
// Mailgun sends; a request without the valid cookie never reaches an admin RPC; no trap.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/json.h"
#include "flows/admin/admin_session.h"
#include "salient/config/config.h"
#include "salient/flows/flows.h"
#include "salient/runtime/instance.h"

namespace {

constexpr std::string_view otp_secret = "fuzz-otp-secret-0123456789abcdef01234567";
constexpr const char* config_json = R"({"app":{"tenant":"fuzz"},"admin":{"emails":["owner@fuzz.test"]}})";

std::string valid_cookie() {
  static const std::string cookie = [] {
    salient::config cfg = salient::parse_config(config_json).value();
    auto s = salient::admin::new_session(otp_secret, cfg, "owner@fuzz.test", 1763800000000, "0123456789abcdef0123456789abcdef");
    std::string set = salient::admin::set_cookie(otp_secret, cfg, s, 1763800000000);
    return set.substr(0, set.find(';'));
  }();
  return cookie;
}

std::string json_quoted(std::string_view s) { return salient::detail::dump(salient::detail::json(std::string(s))); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static salient::instance& otp = []() -> salient::instance& {
    auto* inst = new salient::instance(salient::otp_flow);
    auto r = inst->configure(std::string(R"({"config":)") + config_json +
                             R"(,"env":{"SALIENT_STREAM_SECRET":"fuzz-secret-0123456789abcdef0123456789",)"
                             R"("SALIENT_OTP_SECRET":"fuzz-otp-secret-0123456789abcdef01234567","SUPABASE_URL":"http://store.test",)"
                             R"("SALIENT_METRICS_TOKEN":"fuzz-metrics-token-0123","MAILGUN_API_KEY":"key-fuzz",)"
                             R"("MAILGUN_DOMAIN":"mg.fuzz.test","MAILGUN_BASE_URL":"http://mail.test"}})");
    if (!r) std::abort();
    return *inst;
  }();
  if (size == 0) return 0;
  std::uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t nul = rest.find('\0');
  std::string_view body = rest.substr(0, nul), tail = nul == std::string_view::npos ? "" : rest.substr(nul + 1);
  std::size_t nul2 = tail.find('\0');
  std::string_view cookie_tail = tail.substr(0, nul2), answer = nul2 == std::string_view::npos ? "" : tail.substr(nul2 + 1);

  static constexpr const char* routes[] = {"/admin/sign-in", "/admin/verify", "/admin/sign-out", "/admin/leads/0190a000-0000-7000-8000-000000000001",
                                           "/admin/erase",   "/admin/",       "/admin/conversations?q=a%25&before=17", "/admin/conversations/0190a000-0000-7000-8000-000000000001",
                                           "/admin/leads",   "/admin/leads.csv", "/admin/config.yaml", "/admin/warnings",
                                           "/metrics",       "/metrics?format=json", "/internal/log-flush", "/admin/config"};
  const char* route = routes[mode & 15];
  bool post = (mode & 16) != 0;
  bool flush = route[1] == 'i';
  std::string cookie = (mode & 32) ? valid_cookie() + std::string(cookie_tail) : "__Host-salient_admin=" + std::string(cookie_tail);
  std::string head = std::string(R"({"method":")") + (post || flush ? "POST" : "GET") +
                     R"(","now_ms":1763800000001,"client_ip":"203.0.113.9","url":)" + json_quoted(route) +
                     R"(,"headers":[["content-type","application/x-www-form-urlencoded"],["cookie",)" + json_quoted(cookie) +
                     R"(],["authorization",)" + json_quoted((mode & 64) ? "Bearer fuzz-metrics-token-0123" : "Bearer x") + "]]";
  if (flush && (mode & 128)) head += R"(,"log_flush":true)";
  if (auto metrics = salient::detail::parse_json(answer); metrics && metrics->is_object())
    head += R"(,"instance_metrics":)" + salient::detail::dump(*metrics);
  head += "}";
  std::uint32_t h = otp.start(head, post || flush ? body : "");
  if (h == 0) return 0;  // a head the envelope refused (no request started)
  int responses = 0;
  bool signed_in = (mode & 32) != 0;
  for (int rounds = 0; rounds < 24; ++rounds) {
    salient::exchange* ex = otp.find(h);
    if (!ex) std::abort();
    salient::step s = ex->next();
    if (s.kind == salient::step_kind::done) break;
    if (s.kind == salient::step_kind::respond) ++responses;
    if (s.kind == salient::step_kind::effect) {
      // Only the sign-in routes, the bearer's /metrics and the host's flush may call out unsigned.
      std::string_view r(route);
      bool open = r == "/admin/sign-in" || r == "/admin/verify" || (r.starts_with("/metrics") && (mode & 64)) || flush;
      if (!signed_in && !open) std::abort();
    }
    if (s.kind == salient::step_kind::wait) {
      for (std::uint32_t id = 1; id <= 8; ++id) {
        if (mode & 128 && !flush) {
          ex->feed_failure(id, {salient::effect_failure_kind::timeout, "fuzz"});
        } else {
          ex->feed_head(id, {200, {{"content-type", "application/json"}}});
          ex->feed_chunk(id, answer);
          ex->feed_end(id);
        }
      }
    }
  }
  salient::exchange* ex = otp.find(h);
  if (!ex || !ex->finished()) std::abort();
  if (responses != 1) std::abort();
  otp.release(h);
  return 0;
}
