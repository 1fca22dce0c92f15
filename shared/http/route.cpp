#include "salient/http/route.h"

#include "salient/core/http.h"

namespace salient {

std::optional<agent_path> parse_agent_path(std::string_view path) {
  if (path.substr(0, 3) != "/a/") return std::nullopt;
  std::string_view tail = path.substr(3);
  std::size_t slash = tail.find('/');
  auto agent = percent_decode(tail.substr(0, slash), false);
  if (!agent || agent->empty() || agent->size() > 32) return std::nullopt;
  for (char c : *agent)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return std::nullopt;
  return agent_path{std::move(*agent), slash == std::string_view::npos ? std::string() : std::string(tail.substr(slash))};
}

}  // namespace salient
