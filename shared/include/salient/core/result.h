#pragma once
// Errors are values: every fallible core call returns result<T>. An error carries a kind that
// maps to an HTTP status, a message safe to show to the caller, and (for config and input
// documents) the JSON pointer of the offending value. Nothing in the core throws or aborts on
// untrusted input.
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace salient {

enum class errc {
  bad_request,             // 400 malformed input
  unauthorized,            // 401 bad or expired credential (e.g. stream_id)
  forbidden,               // 403 cross-site request, disabled feature
  not_found,               // 404 unknown route or agent
  method_not_allowed,      // 405
  conflict,                // 409 the request clashes with stored state (e.g. a duplicate key)
  gone,                    // 410 single-use token already used
  too_many_requests,       // 429 a rate limit (retry_after_s says when to try again)
  payload_too_large,       // 413
  unsupported_media_type,  // 415
  not_implemented,         // 501 a route whose feature is not built yet
  upstream,                // 502 an upstream answered with an error
  unavailable,             // 503 an upstream or the state store could not be reached
  misconfigured,           // 500 the operator's config or secrets are wrong
  internal,                // 500 a bug
};

/// The HTTP status that goes with an error kind.
int http_status(errc kind);
/// A short stable machine-readable code, e.g. "payload_too_large".
const char* code_name(errc kind);

struct error {
  errc kind = errc::internal;
  std::string message;  ///< for the caller: no secrets, no PII
  std::string path;     ///< JSON pointer into the input document, when known
  /// A finer machine-readable code than the kind's ("wrong_code"); empty = code_name(kind).
  std::string code;
  int retry_after_s = 0;  ///< > 0: sent as Retry-After (429, 503)

  int status() const { return http_status(kind); }
  std::string_view code_or_kind() const { return code.empty() ? std::string_view(code_name(kind)) : code; }
};

inline error make_error(errc kind, std::string message, std::string path = {}) {
  return error{kind, std::move(message), std::move(path), {}, 0};
}

/// An error with its finer code ("wrong_code") and, for 429/503, its Retry-After.
inline error make_coded_error(errc kind, std::string code, std::string message, int retry_after_s = 0) {
  return error{kind, std::move(message), {}, std::move(code), retry_after_s};
}

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  result(error e) : v_(std::in_place_index<1>, std::move(e)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return *std::get_if<0>(&v_); }
  const T& value() const& { return *std::get_if<0>(&v_); }
  T&& value() && { return std::move(*std::get_if<0>(&v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return std::get_if<0>(&v_); }
  const T* operator->() const { return std::get_if<0>(&v_); }

  const error& err() const { return *std::get_if<1>(&v_); }

 private:
  std::variant<T, error> v_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(error e) : e_(std::move(e)), ok_(false) {}
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const error& err() const { return e_; }

 private:
  error e_;
  bool ok_ = true;
};

}  // namespace salient
