#pragma once
// What every flow is given: the instance's configuration, environment, caches and local index,
// and the request's exchange and entropy. All of it outlives the flow's coroutine frame.
#include "salient/config/config.h"
#include "salient/core/entropy.h"
#include "salient/core/environment.h"
#include "salient/core/exchange.h"
#include "salient/core/instance_memory.h"
#include "salient/core/task.h"
#include "salient/knowledge/knowledge.h"

namespace salient {

struct function_context {
  const config& cfg;
  const environment& env;
  exchange& ex;
  entropy& rng;
  instance_memory& memory;  ///< kept across this instance's requests (a cache: see instance_memory.h)
  const knowledge_index& knowledge;  ///< the local index (knowledge.h); empty when none was loaded
};

/// A function module's flow: one coroutine per request (flows.h lists them).
using function_entry = task<void> (*)(function_context);

}  // namespace salient
