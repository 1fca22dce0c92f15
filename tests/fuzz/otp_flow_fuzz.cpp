// Whole requests through the otp function (/otp/request, /otp/verify, the privacy page): the
// input's first byte picks the route, the body's format and how upstreams answer; the rest is
// split into the request body and the answer every effect gets (the store's and Mailgun's).
// Invariants: every request ends with exactly one response, whatever the visitor, the store or
// Mailgun sends; no trap.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "salient/flows/flows.h"
#include "salient/runtime/instance.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static salient::instance& otp = []() -> salient::instance& {
    auto* inst = new salient::instance(salient::otp_flow);  // configured once for the process
    auto r = inst->configure(
        R"({"config":{},"env":{"SALIENT_STREAM_SECRET":"fuzz-secret-0123456789abcdef0123456789",)"
        R"("SALIENT_OTP_SECRET":"fuzz-otp-secret-0123456789abcdef01234567","SUPABASE_URL":"http://store.test",)"
        R"("MAILGUN_API_KEY":"key-fuzz","MAILGUN_DOMAIN":"mg.fuzz.test","MAILGUN_BASE_URL":"http://mail.test"}})");
    if (!r) std::abort();
    return *inst;
  }();
  if (size == 0) return 0;
  std::uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t nul = rest.find('\0');
  std::string_view body = rest.substr(0, nul), answer = nul == std::string_view::npos ? "" : rest.substr(nul + 1);

  static constexpr const char* routes[] = {"/otp/request", "/otp/verify", "/otp/request", "/a/sales/privacy"};
  const char* route = routes[mode & 3];
  bool get = route[1] == 'a';
  std::string head = std::string(R"({"method":")") + (get ? "GET" : "POST") +
                     R"(","now_ms":1763800000000,"client_ip":"203.0.113.9","url":")" + route +
                     R"(","headers":[["content-type",")" +
                     ((mode & 4) ? "application/json" : "application/x-www-form-urlencoded") + R"("],["accept",")" +
                     ((mode & 8) ? "application/json" : "text/html") + R"("]]})";
  std::uint32_t h = otp.start(head, get ? "" : body);
  int responses = 0;
  int status = (mode & 16) ? 500 : (mode & 32) ? 429 : 200;
  for (int rounds = 0; rounds < 24; ++rounds) {
    salient::exchange* ex = otp.find(h);
    if (!ex) std::abort();
    salient::step s = ex->next();
    if (s.kind == salient::step_kind::done) break;
    if (s.kind == salient::step_kind::respond) ++responses;
    if (s.kind == salient::step_kind::wait) {
      // Answer whatever is pending (effect ids count from 1), or fail it when asked to.
      for (std::uint32_t id = 1; id <= 8; ++id) {
        if (mode & 64) {
          ex->feed_failure(id, {salient::effect_failure_kind::timeout, "fuzz"});
        } else {
          ex->feed_head(id, {status, {{"content-type", "application/json"}, {"retry-after", "5"}}});
          ex->feed_chunk(id, answer);
          ex->feed_end(id);
        }
      }
    }
  }
  salient::exchange* ex = otp.find(h);
  if (!ex || !ex->finished()) std::abort();  // every request ends
  if (responses != 1) std::abort();
  otp.release(h);
  return 0;
}
