#pragma once
// GET /metrics (issue 20): the store's counters (salient_admin_metrics, docs/DATABASE.md) and the
// answering isolate's own (the head's instance_metrics, docs/ABI.md) as Prometheus text or JSON.
// Pure functions: no I/O, never throw; an entry of either document that is not the shape below
// (a missing label, a count that is not a number ≥ 0) is skipped, the rest is rendered.
//
// Prometheus text exposition format 0.0.4 (content type "text/plain; version=0.0.4"): every
// family below has its # HELP and # TYPE lines even when it has no samples; label values escape
// \ " and newline. Store families (all time unless said, counted in Postgres, so the same from
// every instance):
//   salient_info{tenant}                                   gauge 1: the tenant these series are for
//   salient_llm_requests_total{agent,model}                counter
//   salient_llm_tokens_total{agent,model,kind}             counter, kind="prompt"|"completion"
//   salient_llm_cost_usd_total{agent,model}                counter, US dollars
//   salient_first_token_ms{quantile}                       gauge, last 24 h, quantile="0.5"|"0.9"|"0.99"
//   salient_first_token_ms_samples                         gauge, answers those quantiles are over
//   salient_answer_ms{quantile}, salient_answer_ms_samples the same for the whole answer
//   salient_emails_total{kind,status}                      counter
//   salient_conversations_total, salient_messages_total, salient_leads_total   counters
//   salient_handoffs_total{status}                         counter
// Per instance (label instance="<id>", since that isolate or process started; HELP says so):
//   salient_instance_requests_total{instance,module,route,status}     counter
//   salient_instance_upstream_errors_total{instance,upstream,kind}    counter
//   salient_instance_rate_limited_total{instance,route}               counter (429 answers)
//   salient_instance_started_seconds{instance}                        gauge, Unix time
//
// JSON (?format=json): {"tenant": "<slug>",
//   "store": null | {"llm": [{"agent","model","requests","prompt_tokens","completion_tokens","cost_usd"}],
//                    "first_token_ms": {"count","p50","p90","p99"}, "answer_ms": {…the same…},
//                    "emails": [{"kind","status","count"}], "conversations", "messages", "leads",
//                    "handoffs": [{"status","count"}]},
//   "instance": null | {"instance","started_ms","requests": [{"module","route","status","count"}],
//                       "upstream_errors": [{"upstream","kind","count"}], "rate_limited": [{"route","count"}]}}
// null where the document is absent or not an object; a percentile is null when it has no samples.
#include <string>

#include "core/json.h"

namespace salient {

/// The Prometheus text of `store` (salient_admin_metrics' answer) and `instance` (the head's
/// instance_metrics; null or empty: no per-instance series) for `tenant`.
std::string metrics_prometheus(const detail::json& store, const detail::json& instance, const std::string& tenant);

/// The same as one JSON document (the shape above), checked and cleaned of bad entries.
std::string metrics_json(const detail::json& store, const detail::json& instance, const std::string& tenant);

}  // namespace salient
