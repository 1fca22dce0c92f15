#include "salient/core/exchange.h"

#include <utility>

#include "core/json.h"
#include "salient/core/envelope.h"

namespace salient {

bool pending_fetch::awaiter::await_ready() const noexcept {
  auto* s = ex->slot(id);
  return !s || s->complete;
}

void pending_fetch::awaiter::await_suspend(std::coroutine_handle<> h) const noexcept {
  if (auto* s = ex->slot(id)) s->waiter = h;
}

fetch_result pending_fetch::awaiter::await_resume() const {
  fetch_result out;
  auto* s = ex->slot(id);
  if (!s) {
    // Already taken or cancelled when the flow finished: report it as aborted.
    out.failure = effect_failure{effect_failure_kind::aborted, "effect no longer available"};
    return out;
  }
  out.failure = std::move(s->failure);
  out.head = std::move(s->head);
  out.body = std::move(s->body);
  ex->erase_effect(id);
  return out;
}

bool pending_fetch::piece_awaiter::await_ready() const noexcept {
  auto* s = ex->slot(id);
  return !s || s->complete || (s->head_fed && !s->head_read) || !s->direct.empty() ||
         (s->head_read && s->body.size() > s->handed_out);
}

void pending_fetch::piece_awaiter::await_suspend(std::coroutine_handle<> h) const noexcept {
  if (auto* s = ex->slot(id)) {
    s->waiter = h;
    s->waits_for_piece = true;
  }
}

effect_piece pending_fetch::piece_awaiter::await_resume() const {
  effect_piece out;
  auto* s = ex->slot(id);
  if (!s) {
    out.failure = effect_failure{effect_failure_kind::aborted, "effect no longer available"};
    return out;
  }
  s->waits_for_piece = false;
  bool aborted = s->failure && s->failure->kind == effect_failure_kind::aborted;
  if (!aborted && s->head_fed && !s->head_read) {
    s->head_read = true;
    out.what = effect_piece::kind::head;
    out.head = s->head;
    return out;
  }
  if (!aborted && s->head_read && !s->direct.empty()) {
    out.what = effect_piece::kind::data;
    out.bytes = std::exchange(s->direct, {});
    return out;
  }
  if (!aborted && s->head_read && s->body.size() > s->handed_out) {
    out.what = effect_piece::kind::data;
    out.bytes = std::string_view(s->body).substr(s->handed_out);
    s->handed_out = s->body.size();
    return out;
  }
  // complete: nothing unread is left
  if (s->failure) out.failure = std::move(s->failure);
  else out.what = effect_piece::kind::end;
  ex->erase_effect(id);
  return out;
}

void pending_fetch::cancel() const {
  auto* s = ex_->slot(id_);
  if (!s) return;
  if (!s->complete) ex_->push(step_kind::cancel_effect, detail::dump(detail::json{{"id", id_}}));
  ex_->erase_effect(id_);
}

exchange::exchange(request req, log_level min_level) : req_(std::move(req)), min_level_(min_level) {}

void exchange::start(task<void> flow) {
  flow_ = std::move(flow);
  flow_.start();
  after_resume();
}

void exchange::yield_awaiter::await_suspend(std::coroutine_handle<> h) const noexcept {
  ex->yielded_ = h;
  ex->push(step_kind::yield, {});
}

step exchange::next() {
  if (queue_.empty() && yielded_) {
    // The host delivered what the flow wrote before yielding: go on.
    std::exchange(yielded_, {}).resume();
    after_resume();
  }
  if (!queue_.empty()) {
    step_kind kind = queue_.front().first;
    // The previous step's buffer becomes the spare a later write reuses.
    spare_ = std::move(current_);
    current_ = std::move(queue_.front().second);
    queue_.pop_front();
    return {kind, current_};
  }
  current_.clear();
  return {finished_ ? step_kind::done : step_kind::wait, {}};
}

exchange::effect_slot* exchange::slot(std::uint32_t id) {
  if (last_slot_ && last_slot_id_ == id) return last_slot_;
  auto it = effects_.find(id);
  if (it == effects_.end()) return nullptr;
  last_slot_id_ = id;
  return last_slot_ = &it->second;
}

void exchange::erase_effect(std::uint32_t id) {
  if (last_slot_id_ == id) last_slot_ = nullptr;
  effects_.erase(id);
}

void exchange::feed_head(std::uint32_t id, response_head head) {
  auto* s = slot(id);
  if (!s || s->complete || s->head_fed) return;  // unknown or cancelled effect: ignore late input
  s->head = std::move(head);
  s->head_fed = true;
  if (s->streaming) wake_piece_reader(*s);
}

void exchange::wake_piece_reader(effect_slot& s) {
  if (!s.waits_for_piece) return;
  if (auto waiter = std::exchange(s.waiter, {})) {
    s.waits_for_piece = false;
    waiter.resume();
    after_resume();
  }
}

void exchange::feed_chunk(std::uint32_t id, std::string_view bytes) {
  auto* s = slot(id);
  if (!s || s->complete) return;
  if (s->streaming && s->handed_out == s->body.size()) {
    // Everything so far was read, and the flow is suspended again, so its view is gone:
    // start over in the same buffer (its capacity is kept).
    s->body.clear();
    s->handed_out = 0;
  }
  // For a streaming effect the bound is on what the flow has not read yet.
  if (s->body.size() - s->handed_out + bytes.size() > max_effect_body) {
    s->failure = effect_failure{effect_failure_kind::network, "upstream response body too large"};
    push(step_kind::cancel_effect, detail::dump(detail::json{{"id", id}}));
    complete(id, *s);
    return;
  }
  if (s->streaming && s->waits_for_piece && s->head_read && s->handed_out == s->body.size() && !bytes.empty()) {
    // The flow is waiting and has read everything: it reads these bytes where they are, in
    // the host's buffer, while it runs inside this call.
    s->direct = bytes;
    wake_piece_reader(*s);
    return;
  }
  s->body.append(bytes);
  if (s->streaming && !bytes.empty()) wake_piece_reader(*s);
}

void exchange::feed_end(std::uint32_t id) {
  auto* s = slot(id);
  if (!s || s->complete) return;
  complete(id, *s);
}

void exchange::feed_failure(std::uint32_t id, effect_failure failure) {
  auto* s = slot(id);
  if (!s || s->complete) return;
  s->failure = std::move(failure);
  complete(id, *s);
}

void exchange::complete(std::uint32_t, effect_slot& s) {
  s.complete = true;
  s.waits_for_piece = false;
  if (auto waiter = std::exchange(s.waiter, {})) {
    waiter.resume();
    after_resume();
  }
}

void exchange::cancel() {
  if (cancelled_ || finished_) return;
  cancelled_ = true;
  std::vector<std::coroutine_handle<>> waiters;
  for (auto& [id, s] : effects_) {
    if (s.complete || s.survives_cancel) continue;
    push(step_kind::cancel_effect, detail::dump(detail::json{{"id", id}}));
    s.complete = true;
    s.failure = effect_failure{effect_failure_kind::aborted, "client went away"};
    if (s.waiter) waiters.push_back(std::exchange(s.waiter, {}));
  }
  // Resume after the loop: a resumed flow may begin new effects (mutating effects_).
  for (auto w : waiters) w.resume();
  after_resume();
}

void exchange::after_resume() {
  if (finished_ || !flow_.done()) return;
  finished_ = true;
  if (!responded_ && !cancelled_) {
    respond({500, {{"content-type", "application/json"}}});
    write(R"({"error":{"code":"internal","message":"internal error"}})");
  }
  for (auto& [id, s] : effects_)
    if (!s.complete) push(step_kind::cancel_effect, detail::dump(detail::json{{"id", id}}));
  effects_.clear();
  last_slot_ = nullptr;
}

pending_fetch exchange::begin_fetch(outbound_request out, effect_policy policy) {
  std::uint32_t id = next_effect_id_++;
  auto& s = effects_[id];
  s.survives_cancel = policy == effect_policy::survive_cancel;
  s.streaming = out.stream;
  if (cancelled_ && !s.survives_cancel) {
    // The client is gone: do not start new upstream work.
    s.complete = true;
    s.failure = effect_failure{effect_failure_kind::aborted, "client went away"};
  } else {
    push(step_kind::effect, effect_step_bytes(id, out));
  }
  return pending_fetch(this, id);
}

void exchange::respond(response_head head) {
  if (responded_ || cancelled_) return;
  responded_ = true;
  for (header& h : always_) head.headers.push_back(std::move(h));
  push(step_kind::respond, response_head_to_json(head));
}

void exchange::write(std::string_view bytes) {
  if (!responded_ || cancelled_ || bytes.empty()) return;
  // Writes made in one resume reach the host as one WRITE step: one copy out of wasm memory
  // and one enqueue on the client stream instead of one per event (each costs ~40 µs in
  // workerd; docs/BENCHMARKS.md). Nothing waits for this: the host drains right after.
  if (!queue_.empty() && queue_.back().first == step_kind::write) {
    queue_.back().second.append(bytes);
    return;
  }
  spare_.assign(bytes);  // no allocation once the spare is as large as a usual write
  push(step_kind::write, std::move(spare_));
  spare_ = std::string();
}

std::string* exchange::write_buffer() {
  if (!responded_ || cancelled_) return nullptr;
  if (queue_.empty() || queue_.back().first != step_kind::write) {
    spare_.clear();
    push(step_kind::write, std::move(spare_));
    spare_ = std::string();
  }
  return &queue_.back().second;
}

void exchange::log(log_level level, std::string_view event, std::vector<log_field> fields) {
  if (level < min_level_) return;
  static constexpr const char* names[] = {"debug", "info", "warn", "error"};
  detail::json doc = {{"level", names[static_cast<int>(level)]}, {"event", event}};
  if (!req_.request_id.empty()) doc["request_id"] = req_.request_id;
  for (auto& f : fields) {
    std::visit([&](auto& v) { doc[f.key] = v; }, f.value);
  }
  push(step_kind::log, detail::dump(doc));
}

void exchange::push(step_kind kind, std::string data) { queue_.emplace_back(kind, std::move(data)); }

}  // namespace salient
