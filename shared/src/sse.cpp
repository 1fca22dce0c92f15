#include "salient/sse.h"

namespace salient {
namespace {

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  for (char c : value)
    if (c != '\r' && c != '\n') out.push_back(c);
  out.push_back('\n');
}

}  // namespace

void append_sse_event(std::string& out, std::string_view event, std::string_view id, std::string_view data) {
  if (!id.empty()) append_field(out, "id", id);
  append_field(out, "event", event);
  std::size_t start = 0;
  for (std::size_t i = 0; i <= data.size(); ++i) {
    bool end = i == data.size();
    if (!end && data[i] != '\r' && data[i] != '\n') continue;
    out.append("data: ");
    out.append(data.substr(start, i - start));
    out.push_back('\n');
    if (!end && data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
    start = i + 1;
  }
  out.push_back('\n');
}

std::string sse_event(std::string_view event, std::string_view id, std::string_view data) {
  std::string out;
  append_sse_event(out, event, id, data);
  return out;
}

}  // namespace salient
