// detail::find_duplicate_key: a SAX pass over the configuration text before its DOM is built,
// because nlohmann's DOM silently keeps the last of two equal keys. It also reports text that
// is not JSON, with the parser's own message.
#include <set>
#include <string>
#include <vector>

#include "config/validate.h"
#include "config/config_json.h"

namespace salient::detail {
namespace {

class duplicate_key_finder {
 public:
  std::optional<error> found;

  bool null() { return element(); }
  bool boolean(bool) { return element(); }
  bool number_integer(json::number_integer_t) { return element(); }
  bool number_unsigned(json::number_unsigned_t) { return element(); }
  bool number_float(json::number_float_t, const json::string_t&) { return element(); }
  bool string(json::string_t&) { return element(); }
  bool binary(json::binary_t&) { return element(); }
  bool start_object(std::size_t) {
    element();
    frames_.push_back(frame{false, 0, {}, {}});
    return true;
  }
  bool key(json::string_t& k) {
    frame& top = frames_.back();
    if (top.keys.insert(k).second) {
      top.key = k;
      return true;
    }
    loc parent = location_of_top();
    std::string in = parent.name.empty() ? "at the top level" : "in " + parent.name;
    found = make_error(errc::misconfigured, "duplicate key " + in_quotes(k) + " " + in, parent.key(k).pointer);
    return false;
  }
  bool end_object() { return pop(); }
  bool start_array(std::size_t) {
    element();
    frames_.push_back(frame{true, 0, {}, {}});
    return true;
  }
  bool end_array() { return pop(); }
  bool parse_error(std::size_t, const std::string&, const json::exception& ex) {
    std::string what = ex.what();
    std::size_t bracket = what.find("] ");
    if (bracket != std::string::npos) what.erase(0, bracket + 2);
    found = make_error(errc::misconfigured, "the configuration is not valid JSON: " + what);
    return false;
  }

 private:
  struct frame {
    bool array;
    std::size_t count;      // elements seen, for arrays
    std::string key;        // current key, for objects
    std::set<std::string> keys;
  };

  bool element() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().count;
    return true;
  }
  bool pop() {
    if (!frames_.empty()) frames_.pop_back();
    return true;
  }
  /// The location of the innermost open container.
  loc location_of_top() const {
    loc l;
    for (std::size_t i = 0; i + 1 < frames_.size(); ++i)
      l = frames_[i].array ? l.index(frames_[i].count - 1) : l.key(frames_[i].key);
    return l;
  }

  std::vector<frame> frames_;
};

}  // namespace

std::optional<error> find_duplicate_key(std::string_view json_text) {
  duplicate_key_finder dup;
  json::sax_parse(json_text.begin(), json_text.end(), &dup);
  return std::move(dup.found);
}

}  // namespace salient::detail
