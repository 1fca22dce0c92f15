#include "yaml_json.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <regex>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace salient::cli {
namespace {

using json = nlohmann::json;

constexpr int max_depth = 64;
constexpr std::size_t max_values = 100000;

position at(const YAML::Mark& m) {
  if (m.line < 0 || m.column < 0) return {};
  return {m.line + 1, m.column + 1};
}

std::string escape_pointer(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

bool matches(const std::string& s, const char* pattern) { return std::regex_match(s, std::regex(pattern)); }

class converter {
 public:
  explicit converter(yaml_document& doc) : doc_(doc) {}

  /// `key_at`: where the key of this value is, if it has one; `name`: "llm.temperature".
  json convert(const YAML::Node& n, const std::string& pointer, const std::string& name,
               std::optional<position> key_at, int depth) {
    if (++values_ > max_values)
      throw yaml_error(at(n.Mark()), "the document has more than 100000 values (an alias expanding too much?)");
    if (depth > max_depth)
      throw yaml_error(at(n.Mark()), "the document nests more than 64 levels deep (a recursive alias?)");
    switch (n.Type()) {
      case YAML::NodeType::Scalar:
        doc_.values[pointer] = at(n.Mark());
        return scalar(n);
      case YAML::NodeType::Sequence: {
        doc_.values[pointer] = key_at.value_or(at(n.Mark()));
        json arr = json::array();
        std::size_t i = 0;
        for (const YAML::Node& item : n) {
          std::string index = std::to_string(i++);
          arr.push_back(convert(item, pointer + "/" + index, name + "[" + index + "]", std::nullopt, depth + 1));
        }
        return arr;
      }
      case YAML::NodeType::Map: {
        doc_.values[pointer] = key_at.value_or(at(n.Mark()));
        json obj = json::object();
        for (const auto& pair : n) {
          const YAML::Node& key = pair.first;
          position key_pos = at(key.Mark());
          if (!key.IsScalar()) throw yaml_error(key_pos, "mapping keys must be plain text");
          const std::string& k = key.Scalar();
          if (k == "<<" && key.Tag() == "?")
            throw yaml_error(key_pos, "YAML merge keys (<<) are not supported: write the settings out");
          std::string child = pointer + "/" + escape_pointer(k);
          std::string child_name = name.empty() ? k : name + "." + k;
          if (obj.contains(k)) {
            position first = doc_.keys[child];
            throw yaml_error(key_pos, "duplicate key \"" + k + "\"" + (name.empty() ? "" : " in " + name) +
                                          " (first at line " + std::to_string(first.line) + ")");
          }
          doc_.keys[child] = key_pos;
          obj[k] = convert(pair.second, child, child_name, key_pos, depth + 1);
        }
        return obj;
      }
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        // yaml-cpp marks an empty value at the start of the next token: point at the key.
        doc_.values[pointer] = key_at.value_or(at(n.Mark()));
        return nullptr;
    }
    return nullptr;
  }

 private:
  static json scalar(const YAML::Node& n) {
    const std::string& tag = n.Tag();
    const std::string& s = n.Scalar();
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return s;  // quoted, block or explicit string
    std::optional<json> v;
    if (tag == "?") {
      v = plain(n, s);
    } else if (tag == "tag:yaml.org,2002:null") {
      if (s.empty() || is_null(s)) v = nullptr;
    } else if (tag == "tag:yaml.org,2002:bool") {
      v = boolean(s);
    } else if (tag == "tag:yaml.org,2002:int") {
      v = integer(n, s);
    } else if (tag == "tag:yaml.org,2002:float") {
      v = integer(n, s);
      if (!v) v = floating(n, s);
      if (v) v = v->get<double>();
    } else {
      throw yaml_error(at(n.Mark()), "unsupported YAML tag " + tag);
    }
    if (!v) throw yaml_error(at(n.Mark()), "\"" + s + "\" does not match its tag " + tag);
    return *v;
  }

  static json plain(const YAML::Node& n, const std::string& s) {
    if (is_null(s)) return nullptr;
    if (auto b = boolean(s)) return *b;
    if (auto i = integer(n, s)) return *i;
    if (auto f = floating(n, s)) return *f;
    return s;
  }

  static bool is_null(const std::string& s) { return s == "~" || s == "null" || s == "Null" || s == "NULL"; }

  static std::optional<json> boolean(const std::string& s) {
    if (s == "true" || s == "True" || s == "TRUE") return json(true);
    if (s == "false" || s == "False" || s == "FALSE") return json(false);
    return std::nullopt;
  }

  static std::optional<json> integer(const YAML::Node& n, const std::string& s) {
    int base = 10;
    std::string digits = s;
    if (matches(s, "[-+]?[0-9]+")) {
      if (digits[0] == '+') digits.erase(0, 1);
    } else if (matches(s, "0o[0-7]+")) {
      base = 8, digits = s.substr(2);
    } else if (matches(s, "0x[0-9a-fA-F]+")) {
      base = 16, digits = s.substr(2);
    } else {
      return std::nullopt;
    }
    const char* end = digits.data() + digits.size();
    auto whole = [end](std::from_chars_result r) { return r.ec == std::errc() && r.ptr == end; };
    std::int64_t i = 0;
    if (whole(std::from_chars(digits.data(), end, i, base))) return json(i);
    std::uint64_t u = 0;
    if (whole(std::from_chars(digits.data(), end, u, base))) return json(u);
    if (base == 10) return json(std::strtod(digits.c_str(), nullptr));  // as JSON would read it
    throw yaml_error(at(n.Mark()), "the number " + s + " is too large");
  }

  static std::optional<json> floating(const YAML::Node& n, const std::string& s) {
    if (matches(s, "[-+]?(\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))"))
      throw yaml_error(at(n.Mark()), s + " cannot be represented in JSON: use a finite number");
    if (!matches(s, "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?")) return std::nullopt;
    double d = std::strtod(s.c_str(), nullptr);
    if (!std::isfinite(d)) throw yaml_error(at(n.Mark()), "the number " + s + " is too large");
    return json(d);
  }

  yaml_document& doc_;
  std::size_t values_ = 0;
};

}  // namespace

position yaml_document::locate(std::string_view pointer, bool prefer_key) const {
  std::string p(pointer);
  for (;;) {
    if (prefer_key) {
      if (auto k = keys.find(p); k != keys.end()) return k->second;
    }
    if (auto v = values.find(p); v != values.end()) return v->second;
    if (p.empty()) return {};
    p.erase(p.rfind('/'));
    prefer_key = false;
  }
}

yaml_document yaml_to_json(const std::string& text) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::ParserException& e) {
    throw yaml_error(at(e.mark), e.msg);
  }
  yaml_document doc;
  if (docs.size() > 1) throw yaml_error(at(docs[1].Mark()), "only one YAML document is allowed");
  if (docs.empty() || docs[0].IsNull()) {
    doc.json = "{}";
    doc.values[""] = {};
    return doc;
  }
  converter c(doc);
  json j = c.convert(docs[0], "", "", std::nullopt, 0);
  doc.json = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return doc;
}

}  // namespace salient::cli
