#pragma once
// YAML → JSON for `salient config`, remembering where each value came from so that an error
// the core reports as a JSON pointer ("/llm/temperature") can be shown at its YAML line.
//
// Scalars follow the YAML 1.2 core schema: plain `true`/`false` are booleans, plain numbers
// are numbers, plain `~`/`null`/nothing is null, and anything quoted (or tagged `!!str`) stays
// a string, so `"5"` is the string "5" and `yes` is the string "yes". Duplicate keys, complex
// keys, merge keys (`<<`), unknown tags, `.inf`/`.nan` and more than one document are errors.
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace salient::cli {

/// 1-based line and column.
struct position {
  int line = 1;
  int column = 1;
};

/// A YAML document that could not be turned into JSON. `what()` is the message alone.
class yaml_error : public std::runtime_error {
 public:
  yaml_error(position at, const std::string& message) : std::runtime_error(message), at(at) {}
  position at;
};

struct yaml_document {
  std::string json;  ///< the document as JSON text (an empty document is `{}`)

  /// Where to point for an error at `pointer`: the value itself when it is a scalar, the line
  /// of its key when it is a mapping, a list or empty (or when `prefer_key`, e.g. for an unknown
  /// key), and for a value that is not in the file, the nearest enclosing one that is.
  position locate(std::string_view pointer, bool prefer_key = false) const;

  std::map<std::string, position, std::less<>> values;  ///< JSON pointer → start of the value
  std::map<std::string, position, std::less<>> keys;    ///< JSON pointer → start of its key
};

/// Converts YAML text; throws yaml_error (syntax errors included) with a position.
yaml_document yaml_to_json(const std::string& text);

}  // namespace salient::cli
