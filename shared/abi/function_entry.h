#pragma once
// Each function module (functions/<fn>/<fn>.cpp) names its flow with SALIENT_FUNCTION; the ABI
// front ends (reactor.cpp, command.cpp) call salient_function_entry() to get it.
#include "salient/runtime/instance.h"

salient::function_entry salient_function_entry();

#define SALIENT_FUNCTION(flow) \
  salient::function_entry salient_function_entry() { return &(flow); }
