#pragma once
// The entry flow of each function module (docs/ABI.md). Each is a coroutine over the
// request's exchange: it routes, validates, emits effects and writes the response.
//
//   chat    GET /a/{agent}/            the full-page chat (and /compare, /settings)
//           POST /a/{agent}/chat       store the visitor's message, return a stream URL
//   stream  GET /a/{agent}/events/stream?stream_id=…   the answer as server-sent events
//   otp     POST /otp/request, /otp/verify             one-time codes: link a conversation, erase data
//           GET /a/{agent}/privacy                     the erasure page
//   summary POST /a/{agent}/summary                    (not built yet: 501)
#include "salient/flows/context.h"

namespace salient {

task<void> chat_flow(function_context ctx);
task<void> stream_flow(function_context ctx);
task<void> otp_flow(function_context ctx);
task<void> summary_flow(function_context ctx);

}  // namespace salient
