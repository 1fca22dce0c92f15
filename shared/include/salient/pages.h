#pragma once
// The server-rendered HTML: the full-page HTMX chat, the partial a chat POST returns, and
// error pages. The markup is a contract with widget/page/page.js (ids, data attributes) —
// change both together.
#include <string>
#include <string_view>

#include "salient/config.h"
#include "salient/result.h"

namespace salient {

std::string render_chat_page(const config& cfg, const agent_config& agent);

struct chat_partial {
  std::string_view message;            ///< the visitor's text (escaped here)
  std::string_view stream_url;
  std::string_view generated_session_key;  ///< non-empty when the server made one up
};
std::string render_chat_partial(const chat_partial& p);

std::string render_error_page(const error& e);
std::string render_error_fragment(const error& e);

}  // namespace salient
