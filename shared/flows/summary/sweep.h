#pragma once
// The scheduled sweep (the summary module's answer to a request with `scheduled` set: only the
// host driver's sweep() makes one). Private to flows/summary.
#include "salient/flows/context.h"

namespace salient::summary {

/// Body {"trigger": "cloudflare-cron" | …, "limit": N}: claims up to N (at most 50; default 10)
/// conversations idle ≥ chat.inactivity_minutes with messages newer than their last summary,
/// summarizes and emails each once, and answers 200 {"claimed", "sent", "failed", "unknown",
/// "more"}: `failed` ones are retried by a later run with backoff, `unknown` ones (a send whose
/// outcome was never recorded) are not; `more` when conversations were left for the next run.
task<void> sweep(function_context ctx);

}  // namespace salient::summary
