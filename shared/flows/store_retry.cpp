#include "flows/store_retry.h"

namespace salient {
namespace {

bool transient(const fetch_result& r) {
  if (r.failure) return r.failure->kind != effect_failure_kind::aborted;
  return r.head.status == 502 || r.head.status == 503 || r.head.status == 504;
}

}  // namespace

task<fetch_result> fetch_idempotent(exchange& ex, outbound_request req, effect_policy policy) {
  constexpr int delays_ms[] = {0, 200, 800};
  fetch_result last;
  for (int delay : delays_ms) {
    outbound_request attempt = req;
    attempt.delay_ms = delay;
    last = co_await ex.fetch(std::move(attempt), policy);
    if (!transient(last)) break;
    if (policy == effect_policy::cancel_with_client && ex.cancelled()) break;
  }
  co_return last;
}

}  // namespace salient
