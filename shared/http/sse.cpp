#include "salient/http/sse.h"

#include "salient/core/detail/byte_scan.h"

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
  // One `data:` line per line of `data` (CR, LF or CRLF end a line).
  const char* p = data.data();
  const char* end = data.data() + data.size();
  for (;;) {
    const char* eol = detail::find_either(p, end, '\r', '\n');
    out.append("data: ");
    out.append(p, eol);
    out.push_back('\n');
    if (eol == end) break;
    p = eol + 1;
    if (*eol == '\r' && p != end && *p == '\n') ++p;
  }
  out.push_back('\n');
}

std::string sse_event(std::string_view event, std::string_view id, std::string_view data) {
  std::string out;
  append_sse_event(out, event, id, data);
  return out;
}

}  // namespace salient
