// parse_config on arbitrary bytes. Invariants: it returns a config or a misconfigured error
// whose path is a JSON pointer; it never crashes. For an accepted input, to_json is accepted
// again and is a fixed point: parse_config(to_json(c)) writes the same JSON.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "salient/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = salient::parse_config(text);
  if (!c) {
    const salient::error& e = c.err();
    if (e.kind != salient::errc::misconfigured || e.message.empty()) std::abort();
    if (!e.path.empty() && e.path.front() != '/') std::abort();
    return 0;
  }
  if (c->find_enabled_agent(c->app.default_agent) == nullptr) std::abort();
  std::string once = salient::to_json(*c);
  auto again = salient::parse_config(once);
  if (!again || salient::to_json(*again) != once) std::abort();
  return 0;
}
