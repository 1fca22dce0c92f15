#pragma once
// A state-store call whose repeat is harmless, sent again when its answer did not arrive: a lost
// connection, a timeout, or 502/503/504 (a proxy or the store restarting). The load test with
// faults (bench/load.mjs, issue 19) lost answers exactly there: finish_turn failing once left a
// streamed answer unstored, and a claim_turn whose answer was dropped left its turn claimed by
// no one. Only for calls the store makes idempotent: finish_turn (an upsert by message id) and
// claim_turn with this request's claim token (db/functions/turns.sql).
#include "salient/core/exchange.h"
#include "salient/core/task.h"

namespace salient {

/// Up to 3 tries, 200 ms then 800 ms apart; the last result whatever it is. A cancel_with_client
/// call stops once the client has gone.
task<fetch_result> fetch_idempotent(exchange& ex, outbound_request req, effect_policy policy);

}  // namespace salient
