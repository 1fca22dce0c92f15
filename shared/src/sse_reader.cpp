#include "salient/sse_reader.h"

namespace salient {

void sse_reader::field_line(std::string_view line, bool transient) {
  if (line.front() == ':') return;  // a comment, e.g. ": OPENROUTER PROCESSING"
  std::size_t colon = line.find(':');
  std::string_view name = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (name == "data") {
    if (!has_data_) {
      has_data_ = true;
      if (transient) {
        data_buf_.assign(value);
        data_ = data_buf_;
      } else {
        data_ = value;
      }
      return;
    }
    if (data_.data() != data_buf_.data()) data_buf_.assign(data_);
    if (data_buf_.size() + 1 + value.size() > max_event_bytes) {
      overflowed_ = true;
      return;
    }
    data_buf_.push_back('\n');
    data_buf_.append(value);
    data_ = data_buf_;
  } else if (name == "event") {
    if (transient) {
      type_buf_.assign(value);
      type_ = type_buf_;
    } else {
      type_ = value;
    }
  } else if (name == "id") {
    if (value.find('\0') == std::string_view::npos) id_.assign(value);
  }
  // "retry" and unknown fields are ignored: we do not reconnect to an upstream mid-answer.
}

void sse_reader::dispatched() {
  has_data_ = false;
  data_ = type_ = {};
  data_buf_.clear();
}

void sse_reader::keep_pending() {
  if (has_data_ && data_.data() != data_buf_.data()) {
    data_buf_.assign(data_);
    data_ = data_buf_;
  }
  if (!type_.empty() && type_.data() != type_buf_.data()) {
    type_buf_.assign(type_);
    type_ = type_buf_;
  }
}

}  // namespace salient
