// The stream function module: the shared ABI front ends (shared/abi) over salient::stream_flow.
#include "function_entry.h"
#include "salient/flows/flows.h"

SALIENT_FUNCTION(salient::stream_flow)
