#pragma once
// One request's state machine, between a flow (a coroutine written against the "flow side"
// below) and the host (the "host side", called by the ABI layer; see docs/ABI.md).
//
// Theory of operation
//   The host calls start(flow); the flow runs until it awaits an effect. Everything the flow
//   produces — effects to perform, the response head, body bytes, log lines — is queued as
//   steps; the host drains them with next() until it returns wait or done. When the host feeds
//   an effect's result (feed_head / feed_chunk / feed_end / feed_failure), the flow waiting on
//   it resumes inside that call and queues more steps. cancel() means the client went away:
//   every in-flight effect is cancelled and completes as failed(aborted), and the flow winds
//   down; effects begun with effect_policy::survive_cancel (storing what the visitor already
//   saw) are left to finish. When the flow returns, any effect still in flight is cancelled and next() yields
//   done once the queue is empty. A flow that returns without responding gets a 500.
//
//   Call order (host): start, then { next* until wait|done ; feed_* | cancel }*.
//   Nothing here performs I/O, reads a clock or allocates outside the request's own state.
#include <coroutine>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "salient/core/http.h"
#include "salient/core/task.h"

namespace salient {

enum class step_kind : std::uint32_t {
  wait = 0,
  effect = 1,
  respond = 2,
  write = 3,
  done = 4,
  cancel_effect = 5,
  log = 6,
  /// Nothing to read: the flow has just written something the client should see now and has
  /// more work before its next step. Deliver what was written, then call next() again (soon,
  /// without waiting for any event): that call resumes the flow.
  yield = 7,
};

/// What next() returns: the kind and its bytes (valid until the next call into the exchange).
struct step {
  step_kind kind = step_kind::wait;
  std::string_view data;
};

/// The buffered outcome of an effect.
struct fetch_result {
  std::optional<effect_failure> failure;  ///< set when the request or its body failed
  response_head head;
  std::string body;

  bool ok() const { return !failure; }
  bool success() const { return !failure && head.status >= 200 && head.status < 300; }
};

enum class log_level { debug = 0, info = 1, warn = 2, error = 3 };

struct log_field {
  std::string key;
  std::variant<std::string, std::int64_t, bool> value;
};

class exchange;

/// What happens to an effect when the client goes away (cancel()).
enum class effect_policy {
  cancel_with_client,  ///< the result is only useful to the client: abort it (reads, upstream calls)
  survive_cancel,      ///< it stores what must not be lost: let it finish (and begin it even after cancel)
};

/// One step of a streaming effect's response, in order: its head, data pieces, then its end
/// or a failure (a failure may come at any point, e.g. a connection reset mid-body).
struct effect_piece {
  enum class kind { head, data, end, failed } what = kind::failed;
  response_head head;                     ///< kind::head
  /// kind::data: everything that arrived since the last read. A view valid until the flow next
  /// suspends: into the host's input when the flow was waiting for it (no copy at all), else
  /// into the effect's buffer (reused: no allocation per piece).
  std::string_view bytes;
  std::optional<effect_failure> failure;  ///< kind::failed
};

/// A started effect; `co_await` it for its buffered result, or — for an effect begun with
/// `stream = true` — `co_await next_piece()` repeatedly to read it as it arrives.
class pending_fetch {
 public:
  pending_fetch(exchange* ex, std::uint32_t id) : ex_(ex), id_(id) {}
  std::uint32_t id() const { return id_; }

  struct piece_awaiter {
    exchange* ex;
    std::uint32_t id;
    bool await_ready() const noexcept;
    void await_suspend(std::coroutine_handle<> h) const noexcept;
    effect_piece await_resume() const;
  };
  /// The next piece of a streaming effect. Pieces that arrived while the flow was busy are
  /// merged into one data piece. After end or failed, the effect is gone: asking again
  /// yields failed (aborted).
  piece_awaiter next_piece() const noexcept { return {ex_, id_}; }
  /// Stops the effect (e.g. the rest of an upstream stream is not wanted): the host aborts it,
  /// which for an LLM call stops the billing. No-op once it completed.
  void cancel() const;

  struct awaiter {
    exchange* ex;
    std::uint32_t id;
    bool await_ready() const noexcept;
    void await_suspend(std::coroutine_handle<> h) const noexcept;
    fetch_result await_resume() const;
  };
  awaiter operator co_await() const noexcept { return {ex_, id_}; }

 private:
  exchange* ex_;
  std::uint32_t id_;
};

class exchange {
 public:
  /// Upstream bodies larger than this fail the effect instead of growing without bound.
  static constexpr std::size_t max_effect_body = 8u << 20;

  exchange(request req, log_level min_level);
  exchange(const exchange&) = delete;
  exchange& operator=(const exchange&) = delete;

  const request& req() const { return req_; }

  // ---- host side ----
  void start(task<void> flow);
  step next();
  void feed_head(std::uint32_t id, response_head head);
  void feed_chunk(std::uint32_t id, std::string_view bytes);
  void feed_end(std::uint32_t id);
  void feed_failure(std::uint32_t id, effect_failure failure);
  void cancel();
  bool finished() const { return finished_; }
  /// True when next() would now return wait without running anything: nothing is queued,
  /// no flow waits in yield_to_host() and the flow has not finished.
  bool idle() const { return queue_.empty() && !yielded_ && !finished_; }

  // ---- flow side ----
  /// Emits an EFFECT step now; several begun before awaiting run in parallel.
  pending_fetch begin_fetch(outbound_request req, effect_policy policy = effect_policy::cancel_with_client);
  /// begin_fetch + co_await, for the common one-at-a-time case.
  pending_fetch::awaiter fetch(outbound_request req, effect_policy policy = effect_policy::cancel_with_client) {
    return begin_fetch(std::move(req), policy).operator co_await();
  }
  /// The response head; only the first call counts. Gets the headers of always_add() too.
  void respond(response_head head);
  /// Headers every response of this exchange carries, whatever the flow answers (CORS for an
  /// allowed embedding site: cors.h). Set before the flow starts.
  void always_add(header_list headers) { always_ = std::move(headers); }
  /// Body bytes; ignored before respond() (a flow bug) and after cancel(). Consecutive writes
  /// are merged into one WRITE step.
  void write(std::string_view bytes);
  /// The WRITE step being built, for a caller that appends body bytes itself instead of
  /// passing a finished buffer to write() (one copy fewer per relayed token). Null when
  /// write() would ignore the bytes. Append only; valid until the next call into the exchange.
  std::string* write_buffer();
  void log(log_level level, std::string_view event, std::vector<log_field> fields = {});

  struct yield_awaiter {
    exchange* ex;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) const noexcept;
    void await_resume() const noexcept {}
  };
  /// Lets the host deliver what was written before the flow goes on (a YIELD step; the host's
  /// next call to next() resumes the flow). For the answer's last tokens, which would otherwise
  /// wait for the work of storing it when they arrive in the same network piece as its end.
  yield_awaiter yield_to_host() noexcept { return {this}; }
  bool responded() const { return responded_; }
  bool cancelled() const { return cancelled_; }

 private:
  friend class pending_fetch;
  struct effect_slot {
    response_head head;
    std::string body;  ///< whole effects: the body so far; streaming ones: what arrived, from `handed_out` on unread
    std::size_t handed_out = 0;  ///< streaming: bytes of `body` already given to the flow
    std::string_view direct;     ///< streaming: a piece the flow was waiting for, in the host's buffer
    std::optional<effect_failure> failure;
    bool complete = false;
    bool survives_cancel = false;
    bool streaming = false;       ///< begun with stream = true: read with next_piece()
    bool head_fed = false;
    bool head_read = false;
    bool waits_for_piece = false; ///< the waiter is a next_piece(), woken by every head/chunk
    std::coroutine_handle<> waiter;
  };
  /// Resumes a flow waiting for the next piece of this streaming effect.
  void wake_piece_reader(effect_slot& s);

  void push(step_kind kind, std::string data);
  void complete(std::uint32_t id, effect_slot& slot);
  void after_resume();
  effect_slot* slot(std::uint32_t id);
  void erase_effect(std::uint32_t id);

  request req_;
  header_list always_;
  log_level min_level_;
  task<void> flow_;
  std::map<std::uint32_t, effect_slot> effects_;
  /// The slot slot() found last: a streaming effect is looked up four times per network piece.
  /// (std::map nodes stay put until erased; erase_effect and the clear in after_resume reset it.)
  std::uint32_t last_slot_id_ = 0;
  effect_slot* last_slot_ = nullptr;
  std::uint32_t next_effect_id_ = 1;
  std::deque<std::pair<step_kind, std::string>> queue_;
  std::string current_;
  std::string spare_;  // the buffer of the last step the host read, reused by the next write
  bool responded_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
  std::coroutine_handle<> yielded_;  ///< a flow waiting in yield_to_host(), resumed by next()
};

}  // namespace salient
