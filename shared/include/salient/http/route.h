#pragma once
// Paths of the per-agent API: /a/{agent}/{rest}. The agent segment is percent-decoded and
// must look like an agent code; whether that agent exists is the flow's question.
#include <optional>
#include <string>
#include <string_view>

namespace salient {

struct agent_path {
  std::string agent;  ///< decoded agent code
  std::string rest;   ///< what follows "/a/{agent}", e.g. "/chat", "/" or ""
};

/// nullopt when the path is not /a/{agent}… or the agent segment is not [a-z0-9-]{1,32}.
std::optional<agent_path> parse_agent_path(std::string_view path);

}  // namespace salient
