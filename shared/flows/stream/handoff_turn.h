#pragma once
// A chat turn while a person from the team is, or is being asked, into the conversation
// (flows/handoff has the rest of the handoff). Private to flows/stream.
#include <string_view>

#include "salient/flows/context.h"
#include "salient/upstream/store/state_client.h"

#include "flows/stream/answer_events.h"

namespace salient {

/// Within handoff.quiet_minutes of the handoff's start or the team's last reply the assistant
/// does not answer: the visitor gets a short holding note (stored like an answer, marked
/// {"handoff": "quiet"}), and their message reaches the team with the sweep's next batch.
task<void> hold_for_team(function_context ctx, const agent_config& agent, const state_store& store,
                         const claimed_turn& claim, std::string_view turn_id, answer_events& events);

/// The visitor's own words asked for a person (the offline classifier): the store records the
/// request, and the `done` event tells the widget to send it now ("requested"; the sweep sends it
/// if the widget does not). The model never starts one: on its route this only offers the button.
/// Returns the done event's state: "requested", or "" (no team, one under way, limited, failed).
task<std::string_view> request_handoff(function_context ctx, const agent_config& agent, const state_store& store,
                                       std::string_view turn_id);

/// What the visitor reads when the quiet spell ended without a reply from the team.
inline constexpr std::string_view handoff_resumed_notice =
    "No one from the team has replied yet, so I'm answering again. They can still reply here.";

}  // namespace salient
