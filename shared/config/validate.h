#pragma once
// The validator the configuration readers share: where a value is (`loc`), how values and
// suggestions appear in messages, and the checks of one value of each kind. The validator keeps
// only the first error and turns every later call into a no-op, so readers are straight-line
// code. Each check takes the section object (nullptr = section absent: keep the default), the
// key, the section's location and the field to overwrite.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "salient/config/config.h"
#include "core/json.h"
#include "salient/core/result.h"

namespace salient::detail {

/// Where a value is: a JSON pointer for tools and a dotted name for people.
struct loc {
  std::string pointer;  ///< "/agents/sales/llm/temperature"
  std::string name;     ///< "agents.sales.llm.temperature"

  loc key(std::string_view k) const;
  loc index(std::size_t i) const;
  std::string what() const { return name.empty() ? "the configuration" : name; }
};

/// `s` as a JSON string for messages, cut to 60 characters.
std::string in_quotes(std::string_view s);
/// A value as it appears in messages: `5`, `"hot"`, `a list`.
std::string describe(const json& j);
/// A bound in a message: "2", "0.5".
std::string format_number(double d);
/// `; did you mean "x"?` for the closest candidate within a typo's reach, else "".
std::string suggestion(std::string_view word, std::span<const std::string_view> candidates);
/// [a-z0-9-]{1,max_len}: agent and persona codes, slugs, Pinecone index names.
bool is_code(std::string_view s, std::size_t max_len);
/// Unicode code points in UTF-8 text (bytes that do not continue a sequence).
std::size_t code_points(std::string_view s);
/// "https://host[:port]" lower-cased without a default port, or nullopt when not a bare origin.
std::optional<std::string> normalise_origin(std::string_view s);

inline const json* child(const json* obj, std::string_view key) { return obj ? member(*obj, key) : nullptr; }

class validator {
 public:
  bool failed() const { return err_.has_value(); }
  error take() { return std::move(*err_); }
  void fail(const loc& at, std::string message);

  /// The mapping at `j` holding only `keys`; nullptr when absent, null, or on error. An unknown
  /// key is refused with the closest known key.
  const json* section(const json* j, const loc& at, std::span<const std::string_view> keys);

  enum class empty_is { error, allowed };  ///< allowed: "" and null both mean empty

  void text(const json* obj, std::string_view key, const loc& sec, std::string& out, empty_is empty = empty_is::error);
  void code(const json* obj, std::string_view key, const loc& sec, std::size_t max_len, std::string& out);
  /// One of `allowed`; `refused` (when not empty) is a value of the design not supported yet, why.
  void choice(const json* obj, std::string_view key, const loc& sec, std::span<const std::string_view> allowed,
              std::string& out, std::string_view refused = {}, std::string_view why = {});
  void integer(const json* obj, std::string_view key, const loc& sec, int lo, int hi, int& out);
  void number(const json* obj, std::string_view key, const loc& sec, double lo, double hi, double& out);
  void flag(const json* obj, std::string_view key, const loc& sec, bool& out);
  /// A list of distinct origins, normalised (app.allowed_origins).
  void origins(const json* obj, std::string_view key, const loc& sec, std::vector<std::string>& out);
  /// A list of distinct email addresses, normalised (admin.emails).
  void emails(const json* obj, std::string_view key, const loc& sec, std::vector<std::string>& out);
  /// A list of distinct people, {email, name} (handoff.team); emails lower-cased.
  void team(const json* obj, std::string_view key, const loc& sec, std::vector<team_member>& out);
  /// logging.rotation (`rotation`) or logging.retention: log_limit.cpp.
  void log_limit_value(const json* obj, std::string_view key, const loc& sec, bool rotation, log_limit& out);

 private:
  const json* field(const json* obj, std::string_view key) const { return failed() ? nullptr : child(obj, key); }

  std::optional<error> err_;
};

/// The size or age `l` as salient.yaml would write it: "50 MB", "14 days", "10 files".
std::string format_log_limit(const log_limit& l);

}  // namespace salient::detail
