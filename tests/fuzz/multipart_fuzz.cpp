// parse_multipart (core/multipart.h) on arbitrary bytes, twice: the whole input as a body under
// a fixed Content-Type (boundary "b"), and — when the input has a line break — its first line
// as the Content-Type and the rest as the body. Invariants: a value or a typed error (bad_request;
// unsupported_media_type only for a fuzzed Content-Type), never a crash or a hang; no more parts
// than allowed, each named; the parts re-encoded and parsed again are the same parts.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "salient/core/multipart.h"

namespace {

void check(std::string_view body, std::string_view content_type, std::size_t max_parts, bool fuzzed_type) {
  auto parts = salient::parse_multipart(body, content_type, max_parts);
  if (!parts) {
    auto kind = parts.err().kind;
    if (kind != salient::errc::bad_request && !(fuzzed_type && kind == salient::errc::unsupported_media_type))
      std::abort();
    if (parts.err().message.empty()) std::abort();
    return;
  }
  if (parts->size() > max_parts) std::abort();
  std::size_t bytes = 0;
  for (const auto& p : *parts) {
    if (p.name.empty()) std::abort();
    bytes += p.value.size();
  }
  if (bytes > body.size()) std::abort();

  static const std::string boundary = "salient-fuzz-0123456789abcdef";
  auto again = salient::encode_multipart(*parts, boundary);
  if (!again) {
    // What the parser accepts the encoder writes, unless a value happens to hold the boundary.
    if (again.err().kind != salient::errc::internal) std::abort();
    return;
  }
  auto reparsed = salient::parse_multipart(*again, "multipart/form-data; boundary=" + boundary, max_parts);
  if (!reparsed || *reparsed != *parts) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check(text, "multipart/form-data; boundary=b", 256, false);
  if (std::size_t eol = text.find('\n'); eol != std::string_view::npos)
    check(text.substr(eol + 1), text.substr(0, eol), 8, true);
  return 0;
}
