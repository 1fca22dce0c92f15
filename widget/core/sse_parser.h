#pragma once
// The widget's side of the answer stream: server-sent events as EventSource reads them (WHATWG
// HTML §9.2.6, "Interpreting an event stream"), fed raw bytes in pieces of any size — split
// inside a line, between CR and LF, inside a UTF-8 character (bytes are only buffered, never
// decoded here). No I/O: the widget's JS fetches and feeds; on a dropped connection it
// reconnects sending last_event_id() as Last-Event-ID, after retry_ms() if the server set one.
//
// Why not shared/'s sse_reader: that one reads OpenRouter's stream for the relay and ignores
// `retry:` (the relay never reconnects upstream); the widget needs it, and an owning event
// type that outlives the piece it came from.
//
// Rules: lines end at CR, LF or CRLF; a leading BOM is dropped; `:` lines are comments;
// `data:` lines of one event are joined with "\n"; `id:` (without NUL) persists across events
// and becomes the stream's last event id when its event is dispatched, even one without data;
// `retry:` with only ASCII digits sets the reconnection delay; a blank line dispatches the
// event, which is sent only if it has data. The type is "message" when absent.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace salient::widget {

struct sse_event {
  std::string type;
  std::string data;
  std::string id;  ///< the last event id as of this event
};

class sse_parser {
 public:
  /// A line, or an event's data, longer than this refuses the stream (failed() turns true):
  /// the widget's own server never sends one, so the memory is not worth spending.
  static constexpr std::size_t max_event_bytes = 1u << 20;

  /// Appends to `out` every event that `bytes` completes. Returns false (and ignores the
  /// bytes) once the stream has been refused.
  bool feed(std::string_view bytes, std::vector<sse_event>& out);

  const std::string& last_event_id() const { return last_id_; }
  /// The server's `retry:` in milliseconds, or -1 if it sent none.
  long long retry_ms() const { return retry_; }
  bool failed() const { return failed_; }

 private:
  void line(std::vector<sse_event>& out);

  std::string line_, data_, type_, id_, last_id_;
  long long retry_ = -1;
  unsigned bom_ = 0;        // bytes of a leading BOM matched so far; 3 = past it
  bool after_cr_ = false;   // the last byte was CR: a following LF is part of that line end
  bool has_data_ = false;
  bool failed_ = false;
};

}  // namespace salient::widget
