#include "salient/upstream/openrouter/sse_reader.h"

namespace salient {

void sse_reader::field_line(std::string_view line, bool transient, std::string* owner) {
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
      if (owner) {
        // A line carried over from earlier pieces: take its buffer rather than copy it.
        // (`data` without a colon has an empty value that points nowhere.)
        std::size_t at = value.empty() ? 0 : static_cast<std::size_t>(value.data() - owner->data());
        std::swap(data_buf_, *owner);
        data_ = std::string_view(data_buf_).substr(at, value.size());
        data_owned_ = true;
      } else if (transient) {
        data_buf_.assign(value);
        data_ = data_buf_;
        data_owned_ = true;
      } else {
        data_ = value;
      }
      return;
    }
    // Unless data_ is exactly data_buf_ (it may be a part of it, or the caller's piece), make it so.
    if (!data_owned_ || data_.data() != data_buf_.data() || data_.size() != data_buf_.size())
      data_buf_.assign(data_);  // alias-safe
    data_owned_ = true;
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
  data_owned_ = false;
}

void sse_reader::keep_pending() {
  if (has_data_ && !data_owned_) {
    data_buf_.assign(data_);
    data_ = data_buf_;
    data_owned_ = true;
  }
  if (!type_.empty() && type_.data() != type_buf_.data()) {
    type_buf_.assign(type_);
    type_ = type_buf_;
  }
}

}  // namespace salient
