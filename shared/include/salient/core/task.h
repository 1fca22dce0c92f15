#pragma once
// A minimal lazy coroutine type so that each flow reads linearly (`co_await` an effect) while
// the machine underneath stays sans-IO: a suspended task is just a frame waiting for the host
// to feed an effect result. Awaiting a task<T> starts it and resumes the awaiter when it
// finishes (symmetric transfer, so deep chains do not grow the stack). Built with
// -fno-exceptions: an escaping exception is impossible, unhandled_exception aborts.
#include <coroutine>
#include <cstdlib>
#include <optional>
#include <utility>

namespace salient {

namespace detail {

struct final_awaiter {
  bool await_ready() const noexcept { return false; }
  template <class Promise>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) const noexcept {
    std::coroutine_handle<> next = h.promise().continuation;
    return next ? next : std::noop_coroutine();
  }
  void await_resume() const noexcept {}
};

struct promise_base {
  std::coroutine_handle<> continuation;
  std::suspend_always initial_suspend() const noexcept { return {}; }
  final_awaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() const noexcept { std::abort(); }
};

/// Owns a coroutine frame and makes it awaitable; the derived task<T> knows its promise type
/// and takes the result. (Type-erased here so the base needs no complete promise type.)
class task_base {
 public:
  task_base(task_base&& other) noexcept
      : h_(std::exchange(other.h_, {})), promise_(std::exchange(other.promise_, nullptr)) {}
  task_base& operator=(task_base&& other) noexcept {
    if (this != &other) {
      if (h_) h_.destroy();
      h_ = std::exchange(other.h_, {});
      promise_ = std::exchange(other.promise_, nullptr);
    }
    return *this;
  }
  ~task_base() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    promise_->continuation = awaiter;
    return h_;
  }

 protected:
  task_base() = default;
  task_base(std::coroutine_handle<> h, promise_base* promise) : h_(h), promise_(promise) {}
  std::coroutine_handle<> h_;
  promise_base* promise_ = nullptr;
};

}  // namespace detail

template <class T = void>
class [[nodiscard]] task;

template <class T>
class [[nodiscard]] task : public detail::task_base {
 public:
  struct promise_type : detail::promise_base {
    std::optional<T> value;
    task get_return_object() { return task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    void return_value(T v) { value.emplace(std::move(v)); }
  };
  T await_resume() { return std::move(*static_cast<promise_type*>(promise_)->value); }

 private:
  explicit task(std::coroutine_handle<promise_type> h) : task_base(h, &h.promise()) {}
};

template <>
class [[nodiscard]] task<void> : public detail::task_base {
 public:
  struct promise_type : detail::promise_base {
    task get_return_object() { return task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    void return_void() const noexcept {}
  };
  task() = default;
  void await_resume() const noexcept {}

  /// For a top-level task (a flow): run it until its first suspension.
  void start() { h_.resume(); }
  bool done() const { return !h_ || h_.done(); }

 private:
  explicit task(std::coroutine_handle<promise_type> h) : task_base(h, &h.promise()) {}
};

}  // namespace salient
