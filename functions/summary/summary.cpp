// The summary function module: the shared ABI front ends (shared/abi) over salient::summary_flow.
#include "function_entry.h"
#include "salient/flows/flows.h"

SALIENT_FUNCTION(salient::summary_flow)
