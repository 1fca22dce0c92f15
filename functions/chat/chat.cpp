// The chat function module: the shared ABI front ends (shared/abi) over salient::chat_flow.
#include "function_entry.h"
#include "salient/flows/flows.h"

SALIENT_FUNCTION(salient::chat_flow)
