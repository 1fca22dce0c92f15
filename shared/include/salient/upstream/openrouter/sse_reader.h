#pragma once
// Reading an upstream server-sent-event stream incrementally (WHATWG HTML §9.2.6, "Interpreting
// an event stream"), as OpenRouter sends it: pieces of any size, split anywhere — inside a
// line, between CR and LF, inside a UTF-8 character (bytes are only buffered, never decoded
// here). Lines end at CR, LF or CRLF; `:` lines are comments (`: OPENROUTER PROCESSING`);
// `data:` lines of one event are joined with "\n"; a blank line dispatches the event. A leading
// BOM is dropped. Events without data are not dispatched (as in browsers).
//
// Hot path: an event whose lines all arrive in one piece is handed out as views into that
// piece, with no copy; only what straddles two pieces is buffered.
#include <cstddef>
#include <string>
#include <string_view>

#include "salient/core/detail/byte_scan.h"

namespace salient {

class sse_reader {
 public:
  struct event {
    std::string_view type;  ///< the `event:` field; empty when absent ("message")
    std::string_view data;
    std::string_view id;    ///< the last `id:` seen on this stream (it persists across events)
  };

  /// A line or an event's data larger than this is refused: overflowed() turns true and the
  /// reader ignores the rest of the stream.
  static constexpr std::size_t max_event_bytes = 1u << 20;

  /// Reads `bytes`, calling `on_event(const event&) → bool` for every event completed; the
  /// views are valid during that call only. Returning false stops reading (the rest of this
  /// piece is dropped: the caller is done with the stream).
  template <class F>
  void feed(std::string_view bytes, F&& on_event);

  /// True when the stream so far ends inside an event (a line or data without the blank line
  /// that dispatches it): if the stream ends now, it was truncated. The incomplete event is
  /// not dispatched, as the standard requires.
  bool mid_event() const { return !partial_.empty() || has_data_; }
  bool overflowed() const { return overflowed_; }

 private:
  /// One complete, non-blank line. `transient`: the line's bytes die before the event is
  /// dispatched, so what the event keeps of it is copied.
  /// `owner`: the line is the whole of that buffer (partial_), whose bytes data_ may take over.
  void field_line(std::string_view line, bool transient, std::string* owner = nullptr);
  void dispatched();
  void keep_pending();  // copies views into the caller's piece before feed() returns

  std::string partial_;       // an incomplete line carried over from the previous piece
  std::string data_buf_, type_buf_, id_;
  std::string_view data_, type_;
  bool has_data_ = false;
  bool data_owned_ = false;   // data_ views data_buf_ (else the caller's piece)
  bool skip_lf_ = false;      // the last piece ended with CR: a leading LF belongs to that line
  bool started_ = false;      // past the optional BOM
  bool overflowed_ = false;
};

template <class F>
void sse_reader::feed(std::string_view bytes, F&& on_event) {
  if (overflowed_) return;
  if (!started_) {
    // A BOM may itself arrive split: hold up to 3 bytes back until it can be told apart.
    static constexpr std::string_view bom = "\xEF\xBB\xBF";
    partial_.append(bytes);
    if (partial_.size() < bom.size() && bom.substr(0, partial_.size()) == partial_) return;
    started_ = true;
    std::string first = std::move(partial_);
    partial_.clear();
    if (std::string_view(first).substr(0, bom.size()) == bom) first.erase(0, bom.size());
    feed(first, on_event);  // keep_pending() copies whatever outlives `first`
    return;
  }
  if (skip_lf_ && !bytes.empty()) {
    skip_lf_ = false;
    if (bytes.front() == '\n') bytes.remove_prefix(1);
  }
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    // Inline and 16 bytes at a time: finding line ends was the relay's biggest single cost
    // (docs/BENCHMARKS.md (d)).
    std::size_t end = static_cast<std::size_t>(
        detail::find_either(bytes.data() + pos, bytes.data() + bytes.size(), '\n', '\r') - bytes.data());
    if (end == bytes.size()) {
      if (partial_.size() + bytes.size() - pos > max_event_bytes) {
        overflowed_ = true;
        return;
      }
      partial_.append(bytes.substr(pos));
      break;
    }
    std::string_view text = bytes.substr(pos, end - pos);
    pos = end + 1;
    if (bytes[end] == '\r') {
      if (pos == bytes.size()) skip_lf_ = true;
      else if (bytes[pos] == '\n') ++pos;
    }
    if (!partial_.empty()) {
      partial_.append(text);
      field_line(partial_, true, &partial_);
      partial_.clear();
    } else if (!text.empty()) {
      field_line(text, false);
    } else if (has_data_) {
      bool more = on_event(static_cast<const event&>(event{type_, data_, id_}));
      dispatched();
      if (!more) return;
    } else {
      dispatched();  // a blank line without data: the type is forgotten, nothing is sent
    }
    if (overflowed_) return;
  }
  keep_pending();
}

}  // namespace salient
