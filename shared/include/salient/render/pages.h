#pragma once
// The server-rendered HTML: the full-page HTMX chat, the partial a chat POST returns, and
// error pages. The markup is a contract with widget/page/page.js (ids, data attributes) —
// change both together.
#include <string>
#include <string_view>

#include "salient/config/config.h"
#include "salient/core/result.h"
#include "salient/upstream/store/state_client.h"

namespace salient {

std::string render_chat_page(const config& cfg, const agent_config& agent);
/// GET /a/{agent}/compare: one question answered with and without retrieval, side by side.
std::string render_compare_page(const config& cfg, const agent_config& agent);

struct chat_partial {
  std::string_view message;            ///< the visitor's text (escaped here)
  std::string_view stream_url;
  std::string_view generated_session_key;  ///< non-empty when the server made one up
  bool whole = false;  ///< ui.sse_enabled is false: the answer comes as one JSON document
};
std::string render_chat_partial(const chat_partial& p);

/// A stored conversation as chat bubbles, oldest first (empty for none). A visitor message with
/// no stored answer after it gets a note saying so.
std::string render_history(const std::vector<stored_message>& messages);

/// This browser's past sessions as buttons carrying their keys, or a line saying there are none.
std::string render_session_list(const std::vector<session_summary>& sessions);

/// "2026-11-22T15:04:05.123+00:00" → "2026-11-22 15:04 UTC"; other offsets are kept as given.
std::string display_time(std::string_view timestamp);

std::string render_error_page(const error& e);
std::string render_error_fragment(const error& e);

}  // namespace salient
