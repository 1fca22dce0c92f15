#include "flows/email_send.h"

#include "salient/core/multipart.h"

namespace salient {
namespace {

error send_failed(int retry_after_s = 0) {
  error e = make_error(errc::unavailable, "we could not send the email just now; please try again in a minute");
  e.code = "send_failed";
  e.retry_after_s = retry_after_s;
  return e;
}

}  // namespace

email_brand brand_of(const config& cfg, const agent_config& agent) {
  return email_brand{cfg.app.name, cfg.email.brand_color, "/a/" + agent.code + "/privacy"};
}

std::string sender_of(const config& cfg, const mailgun_endpoint& ep) {
  std::string address = cfg.email.from.empty() ? "noreply@" + ep.domain : cfg.email.from;
  std::string name = cfg.email.from_name.empty() ? cfg.app.name : cfg.email.from_name;
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '\r' || c == '\n' || c == '\0') continue;  // config refuses them in from_name; app.name may hold any
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  return quoted + "\" <" + address + ">";
}

task<result<void>> send_email(function_context ctx, const state_store& store, const mailgun_endpoint& ep,
                              outgoing_email email, effect_policy policy) {
  exchange& ex = ctx.ex;
  auto queued = parse_email_queue(co_await ex.fetch(email_queue_request(store, email.record), policy));
  if (!queued) {
    ex.log(log_level::warn, "email.store_failed", {{"kind", email.record.kind}, {"reason", queued.err().message}});
    co_return queued.err();
  }
  auto built = mailgun_send_request(ep, email.message, multipart_boundary(ctx.rng));
  fetch_result answer;
  if (built) {
    answer = co_await ex.fetch(*built, policy);
  } else {
    answer.failure = effect_failure{effect_failure_kind::network, "not sent: " + built.err().message};
  }
  auto sent = built ? parse_mailgun_send(answer) : result<mailgun_sent>(built.err());
  // An erasure's confirmation keeps no trace of the address: not even Mailgun's own words, which
  // may quote it; its status says what happened.
  std::string response = email.record.kind == "data_erased"
                             ? "{\"status\":" + std::to_string(answer.failure ? 0 : answer.head.status) + "}"
                             : provider_response_json(answer);
  // Sent but unanswered: a timeout or a dropped connection after the request left. A refused
  // connection never reached Mailgun, and a request never built never left: those failed.
  bool unanswered = built && answer.failure && (answer.failure->kind == effect_failure_kind::timeout ||
                                                answer.failure->kind == effect_failure_kind::network);
  email_outcome_args outcome{email.record.tenant, *queued, sent.ok(), unanswered, sent ? sent->id : std::string(),
                             std::move(response), ex.req().now_ms};
  auto recorded = parse_email_result(co_await ex.fetch(email_result_request(store, outcome), policy));
  if (!recorded)
    ex.log(log_level::warn, "email.store_failed", {{"kind", email.record.kind}, {"reason", recorded.err().message}});
  if (!sent) {
    ex.log(log_level::warn, "email.send_failed",
           {{"kind", email.record.kind}, {"email_id", *queued}, {"reason", sent.err().message},
            {"status", static_cast<std::int64_t>(answer.head.status)}});
    if (sent.err().kind == errc::misconfigured) co_return make_error(errc::misconfigured, "email is not configured correctly yet");
    co_return send_failed(retry_after_seconds(answer).value_or(0));
  }
  ex.log(log_level::info, "email.sent", {{"kind", email.record.kind}, {"email_id", *queued}});
  // A sent email whose outcome could not be stored: the code it carries stays invalid (pending),
  // so the visitor must be told to try again rather than wait for a code that will not work.
  if (!recorded) co_return send_failed();
  co_return result<void>{};
}

}  // namespace salient
