#pragma once
// The chat function's routes that show stored conversations to the visitor's browser:
//   POST /a/{agent}/history   session_key        → that session's messages (fragment or JSON)
//   POST /a/{agent}/sessions  session_keys=a,b,… → which of this browser's sessions exist, with
//                                                   a title and last activity (fragment or JSON)
//   POST /a/{agent}/identify  session_key, email and/or name → stored on the session's profile
//                                                   (the widget's Salient.identify): 200
//                                                   {"status":"identified"}, or
//                                                   {"status":"no_conversation"} (nothing stored)
//                                                   when the session has not started yet
//   POST /a/{agent}/updates  session_key, after (the newest message time held), seen ("0": the
//                             closed widget's badge, nothing marked seen) → {handoff: null |
//                             {active, team, response_time, replied}, messages: [newer, oldest
//                             first; a team member's with "name"], unread}: the poll of an open
//                             chat while a person from the team is in it
// POST, not GET: session keys are bearer secrets for a conversation and stay out of URLs.
#include "salient/config/config.h"
#include "salient/flows/context.h"

namespace salient {

task<void> post_history(function_context ctx, const agent_config& agent);
task<void> post_sessions(function_context ctx, const agent_config& agent);
task<void> post_identify(function_context ctx, const agent_config& agent);
task<void> post_updates(function_context ctx, const agent_config& agent);

}  // namespace salient
