// Differential: the relay's chunk scanner against nlohmann's full parser. Whenever nlohmann
// reads the input as an ordinary delta chunk (an object; no error, usage or finish_reason; no
// repeated keys on the content's path), the scanner must say `delta` with exactly the same
// content; and the scanner never calls anything a delta that nlohmann rejects as JSON.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "salient/completion_chunk.h"

using nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string text = "keep";
  salient::chunk_kind k = salient::scan_completion_chunk(in, text);
  if (k != salient::chunk_kind::delta && text != "keep") std::abort();  // untouched unless delta

  // nlohmann's lexer takes a NUL byte for the end of input; the scanner (rightly) does not.
  if (in.find('\0') != std::string_view::npos) return 0;
  json doc = json::parse(in.begin(), in.end(), nullptr, false);
  // Rejected by nlohmann: the scanner may still have read a delta, since it skips the parts it
  // does not use without validating them; the content it decodes is held to JSON's rules.
  if (doc.is_discarded()) return 0;
  if (!doc.is_object()) return 0;
  auto nonnull = [&](const char* key) { return doc.contains(key) && !doc[key].is_null(); };
  if (nonnull("error") || nonnull("usage")) {
    if (k == salient::chunk_kind::delta) std::abort();
    return 0;
  }
  std::string expected;
  bool ordinary = true;
  if (doc.contains("choices") && !doc["choices"].is_null()) {
    const json& choices = doc["choices"];
    if (!choices.is_array()) return 0;
    if (!choices.empty()) {
      const json& first = choices[0];
      if (!first.is_object()) return 0;
      if (first.contains("finish_reason") && !first["finish_reason"].is_null()) ordinary = false;
      if (first.contains("delta") && !first["delta"].is_null()) {
        const json& delta = first["delta"];
        if (!delta.is_object()) return 0;
        if (delta.contains("content") && !delta["content"].is_null()) {
          if (!delta["content"].is_string()) return 0;
          expected = delta["content"].get<std::string>();
        }
      }
    }
  }
  // Repeated keys: nlohmann keeps the last, the scanner defers to the DOM. Not comparable.
  if (k == salient::chunk_kind::needs_dom) return 0;
  if (!ordinary) std::abort();  // a finish_reason must never pass as an ordinary delta
  if (k != salient::chunk_kind::delta) std::abort();
  if (text != "keep" + expected) std::abort();
  return 0;
}
