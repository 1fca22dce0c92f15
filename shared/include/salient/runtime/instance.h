#pragma once
// One function module's state inside one wasm instance: its configuration, the host
// environment it was given, and the table of in-flight requests (handles). Both ABI front ends
// (abi/reactor.cpp, abi/command.cpp) and the native tests drive requests through this class,
// so what the tests exercise is what the modules run.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "salient/config/config.h"
#include "salient/core/entropy.h"
#include "salient/core/environment.h"
#include "salient/core/exchange.h"
#include "salient/core/instance_memory.h"
#include "salient/core/result.h"
#include "salient/flows/context.h"
#include "salient/knowledge/knowledge.h"

namespace salient {

class instance {
 public:
  explicit instance(function_entry entry) : entry_(entry) {}

  /// `{"config": {...}, "env": {...}}`; the config is validated again here.
  result<void> configure(std::string_view json);
  bool configured() const { return cfg_.has_value(); }
  /// The local knowledge index (`salient ingest`'s output), loaded once per instance; replaces
  /// any earlier one. Without it, local retrieval finds nothing.
  result<void> load_knowledge(std::string bytes);
  const knowledge_index& knowledge() const { return knowledge_; }

  /// Starts a request; 0 when not configured. A malformed head still gets a handle whose
  /// response is a 400, so every request the host accepted gets an answer.
  std::uint32_t start(std::string_view head_json, std::string_view body);
  exchange* find(std::uint32_t handle);
  void release(std::uint32_t handle);

 private:
  struct in_flight {
    in_flight(request req, log_level level) : ex(std::move(req), level), rng(ex.req().entropy_seed) {}
    exchange ex;
    entropy rng;
  };

  function_entry entry_;
  std::optional<config> cfg_;
  environment env_;
  instance_memory memory_;
  knowledge_index knowledge_;
  log_level level_ = log_level::info;
  std::map<std::uint32_t, std::unique_ptr<in_flight>> handles_;
  /// The handle find() found last: a relayed stream calls it twice per network piece.
  std::uint32_t last_handle_ = 0;
  exchange* last_exchange_ = nullptr;
  std::uint32_t next_handle_ = 1;
};

}  // namespace salient
