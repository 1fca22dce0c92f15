#include "salient/core/instance_memory.h"

#include <cstdlib>

#include "core/json.h"

namespace salient {

bool circuit_breaker::failure(std::int64_t now_ms, int failures, std::int64_t window_ms, std::int64_t cooldown_ms) {
  recent_.push_back(now_ms);
  while (!recent_.empty() && recent_.front() <= now_ms - window_ms) recent_.pop_front();
  if (static_cast<int>(recent_.size()) < failures || open(now_ms)) return false;
  open_until_ = now_ms + cooldown_ms;
  recent_.clear();
  return true;
}

circuit_breaker& instance_memory::breaker(std::string_view tenant) {
  auto it = breakers.find(tenant);
  if (it == breakers.end()) it = breakers.emplace(std::string(tenant), circuit_breaker{}).first;
  return it->second;
}

std::optional<model_price> instance_memory::price(std::string_view model) const {
  auto it = prices.find(model);
  if (it == prices.end()) return std::nullopt;
  return it->second;
}

namespace {
/// "0.0000001" → 1e-7; prices are non-negative decimals. nullopt for anything else.
std::optional<double> decimal(const detail::json* v) {
  if (!v) return std::nullopt;
  if (v->is_number()) return v->get<double>();
  if (!v->is_string()) return std::nullopt;
  const std::string& s = v->get_ref<const std::string&>();
  if (s.empty() || s.size() > 40) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !(d >= 0) || d > 1) return std::nullopt;  // USD per token
  return d;
}
}  // namespace

bool parse_model_prices(std::string_view body, std::map<std::string, model_price, std::less<>>& out) {
  auto doc = detail::parse_json(body);
  if (!doc) return false;
  const detail::json* data = detail::member(*doc, "data");
  if (!data || !data->is_array()) return false;
  for (const auto& m : *data) {
    auto id = detail::string_member(m, "id");
    const detail::json* pricing = detail::member(m, "pricing");
    if (!id || !pricing) continue;
    auto prompt = decimal(detail::member(*pricing, "prompt"));
    auto completion = decimal(detail::member(*pricing, "completion"));
    if (prompt && completion) out[std::string(*id)] = {*prompt, *completion};
  }
  return true;
}

}  // namespace salient
