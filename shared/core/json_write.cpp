#include "salient/core/json_write.h"

#include "salient/core/detail/byte_scan.h"

namespace salient {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  const char* run = s.data();
  const char* end = s.data() + s.size();
  for (;;) {
    const char* stop = detail::find_json_string_stop(run, end);  // 16 bytes at a time
    out.append(run, stop);
    if (stop == end) break;
    unsigned char c = static_cast<unsigned char>(*stop);
    run = stop + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        out.append("\\u00");
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xF]);
    }
  }
  out.push_back('"');
}

bool looks_like_json_object(std::string_view s) {
  std::size_t first = s.find_first_not_of(" \t\r\n");
  std::size_t last = s.find_last_not_of(" \t\r\n");
  return first != std::string_view::npos && s[first] == '{' && s[last] == '}';
}

}  // namespace salient
