#include "sse_parser.h"

namespace salient::widget {

bool sse_parser::feed(std::string_view bytes, std::vector<sse_event>& out) {
  static constexpr char bom[] = "\xEF\xBB\xBF";
  for (char c : bytes) {
    if (failed_) return false;
    if (bom_ < 3) {
      if (c == bom[bom_]) {
        ++bom_;
        continue;
      }
      line_.append(bom, bom_);  // not a BOM after all: those bytes were text
      bom_ = 3;
    }
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      line(out);
      line_.clear();
    } else if (line_.size() < max_event_bytes) {
      line_ += c;
    } else {
      failed_ = true;
    }
  }
  return !failed_;
}

void sse_parser::line(std::vector<sse_event>& out) {
  std::string_view l = line_;
  if (l.empty()) {
    last_id_ = id_;
    if (has_data_) out.push_back({type_.empty() ? "message" : type_, data_, last_id_});
    has_data_ = false;
    data_.clear();
    type_.clear();
    return;
  }
  if (l.front() == ':') return;
  std::size_t colon = l.find(':');
  std::string_view name = l.substr(0, colon), value;
  if (colon != std::string_view::npos) {
    value = l.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (name == "data") {
    if (data_.size() + value.size() + 1 > max_event_bytes) {
      failed_ = true;
      return;
    }
    if (has_data_) data_ += '\n';
    data_.append(value);
    has_data_ = true;
  } else if (name == "event") {
    type_.assign(value);
  } else if (name == "id") {
    if (value.find('\0') == std::string_view::npos) id_.assign(value);
  } else if (name == "retry") {
    long long ms = 0;
    bool digits = !value.empty();
    for (char c : value) {
      digits = digits && c >= '0' && c <= '9';
      if (digits && ms < 1'000'000'000'000LL) ms = ms * 10 + (c - '0');  // capped, not wrapped
    }
    if (digits) retry_ = ms;
  }
}

}  // namespace salient::widget
