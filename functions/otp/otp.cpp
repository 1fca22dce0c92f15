// The otp function module: the shared ABI front ends (shared/abi) over salient::otp_flow.
#include "function_entry.h"
#include "salient/flows/flows.h"

SALIENT_FUNCTION(salient::otp_flow)
