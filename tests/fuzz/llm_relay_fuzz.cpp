// The whole relay (SSE reader → chunk scanner → DOM for the rare chunks) on arbitrary upstream
// bytes. The first byte seeds how the rest is cut into network pieces. Invariants: no crash;
// the text relayed, its concatenation in text(), and the end state (done, error, usage) are the
// same however the bytes were cut; the relayed text is valid UTF-8. The same bytes also go
// through parse_model_prices (GET /models), whose prices must come out in [0, 1] USD per token.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "salient/core/http.h"
#include "salient/core/instance_memory.h"
#include "salient/upstream/openrouter/llm_client.h"

namespace {
struct outcome {
  std::string relayed;
  bool done = false, error = false;
  std::int64_t tokens = -1;
  std::string finish;
  bool operator==(const outcome&) const = default;
};

outcome run(std::string_view s, std::uint8_t seed) {
  salient::completion_relay relay;
  outcome o;
  auto on_text = [&](std::string_view t) { o.relayed.append(t); };
  if (seed == 0) {
    relay.feed(s, on_text);
  } else {
    std::size_t step = seed % 13 + 1, pos = 0;
    while (pos < s.size()) {
      std::size_t n = std::min(step, s.size() - pos);
      relay.feed(s.substr(pos, n), on_text);
      pos += n;
      step = step * 7 % 17 + 1;
    }
  }
  if (o.relayed != relay.text()) std::abort();
  o.done = relay.done();
  o.error = relay.error().has_value();
  o.tokens = relay.usage().total_tokens;
  o.finish = relay.finish_reason();
  return o;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view s(reinterpret_cast<const char*>(data + 1), size - 1);
  outcome whole = run(s, 0);
  if (!salient::is_valid_utf8(whole.relayed)) std::abort();
  if (!(run(s, data[0] | 1) == whole)) std::abort();
  // The models endpoint's answer (prices for costs the usage lacks) is upstream input too.
  std::map<std::string, salient::model_price, std::less<>> prices;
  if (salient::parse_model_prices(s, prices))
    for (const auto& [id, p] : prices)
      if (!(p.prompt >= 0 && p.prompt <= 1 && p.completion >= 0 && p.completion <= 1)) std::abort();
  return 0;
}
