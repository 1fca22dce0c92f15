// parse_form / percent_decode on arbitrary bytes (form bodies and query strings).
// Invariants: a value or bad_request, never a crash; decoding never grows the text; a
// successful parse re-encoded and parsed again gives the same fields.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "salient/core/http.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto d = salient::percent_decode(text, true); d && d->size() > text.size()) std::abort();
  auto fields = salient::parse_form(text);
  if (!fields) {
    if (fields.err().kind != salient::errc::bad_request) std::abort();
    return 0;
  }
  std::string again;
  for (const auto& [k, v] : *fields) {
    if (!again.empty()) again += '&';
    again += salient::percent_encode(k) + "=" + salient::percent_encode(v);
  }
  auto reparsed = salient::parse_form(again);
  if (!reparsed || *reparsed != *fields) std::abort();
  return 0;
}
