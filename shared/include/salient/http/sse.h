#pragma once
// Server-sent events (WHATWG HTML §9.2) as the core writes them to clients: every event has
// an `id:` (so Last-Event-ID can name where a client got to), an `event:` type, and its data
// split into `data:` lines at any CR, LF or CRLF (the browser re-joins them with "\n").
#include <string>
#include <string_view>

namespace salient {

/// Appends one event. `event` and `id` must not contain CR/LF (they are ours); any that do
/// are stripped rather than let a value start a new field.
void append_sse_event(std::string& out, std::string_view event, std::string_view id, std::string_view data);

std::string sse_event(std::string_view event, std::string_view id, std::string_view data);

}  // namespace salient
