// Differential, twice:
// 1. The relay's chunk scanner against nlohmann's full parser. Whenever nlohmann reads the input
//    as an ordinary delta chunk (an object; no error, usage or finish_reason; no repeated keys
//    on the content's path), the scanner must say `delta` with exactly the same content; and
//    the scanner never calls anything a delta that nlohmann rejects as JSON.
// 2. The stream scanner (completion_scanner, which remembers the last delta's layout and then
//    reads only the content string) against the stateless scan, chunk by chunk. The input is
//    split at \x01 into a template and contents; each chunk is the template with its \x02
//    replaced by one content, so consecutive chunks share their prefix and suffix the way a
//    real stream's do, and the contents are free to try to break out of the string.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "salient/upstream/openrouter/completion_chunk.h"

using nlohmann::json;

namespace {

void stream_scanner_agrees(std::string_view in) {
  std::size_t cut = in.find('\x01');
  if (cut == std::string_view::npos) return;
  std::string_view tmpl = in.substr(0, cut);
  std::size_t hole = tmpl.find('\x02');
  salient::completion_scanner scanner;
  for (std::string_view rest = in.substr(cut + 1);;) {
    std::size_t next = rest.find('\x01');
    std::string_view content = rest.substr(0, next);
    std::string chunk(tmpl);
    if (hole != std::string_view::npos) chunk.replace(hole, 1, content);
    else chunk.append(content);
    std::string a = "a", b = "a";
    salient::chunk_kind ka = scanner.scan(chunk, a);
    salient::chunk_kind kb = salient::scan_completion_chunk(chunk, b);
    if (ka != kb || a != b) std::abort();
    if (next == std::string_view::npos) break;
    rest.remove_prefix(next + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  stream_scanner_agrees(in);
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
