#pragma once
// What one instance remembers between requests: a circuit breaker per tenant in front of the
// model, the models' prices, and Pinecone index hosts looked up by name. Hosts run several instances and replace them at will (a trap,
// a new isolate), so this is a best-effort cache, never state that correctness depends on:
// one instance's breaker is not shared with its siblings, and prices are fetched again after
// a restart.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace salient {

/// Opens after `failures` failures within `window_ms`; stays open for `cooldown_ms`, then lets
/// calls through again (a failure then re-opens it only once the count is reached again).
class circuit_breaker {
 public:
  bool open(std::int64_t now_ms) const { return now_ms < open_until_; }
  /// Records a failure; true when this one opened the breaker.
  bool failure(std::int64_t now_ms, int failures, std::int64_t window_ms, std::int64_t cooldown_ms);
  void success() { recent_.clear(); }

 private:
  std::deque<std::int64_t> recent_;
  std::int64_t open_until_ = 0;
};

/// USD per token, from the models endpoint's `pricing.prompt` / `pricing.completion`.
struct model_price {
  double prompt = 0, completion = 0;
};

struct instance_memory {
  std::map<std::string, circuit_breaker, std::less<>> breakers;  ///< by tenant slug
  std::map<std::string, model_price, std::less<>> prices;        ///< by model id
  std::int64_t prices_fetched_ms = 0;                            ///< 0: never
  std::map<std::string, std::string, std::less<>> index_hosts;   ///< Pinecone index name → its host URL

  circuit_breaker& breaker(std::string_view tenant);
  std::optional<model_price> price(std::string_view model) const;
};

/// Reads GET {base}/models → `{"data":[{"id","pricing":{"prompt":"0.0000001","completion":…}}]}`
/// into `out` (prices are decimal strings there). False when the body is not that shape.
bool parse_model_prices(std::string_view body, std::map<std::string, model_price, std::less<>>& out);

}  // namespace salient
