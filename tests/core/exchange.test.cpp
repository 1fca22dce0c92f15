// The step machine itself, driven by small flows written for the test.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>

#include "salient/core/exchange.h"

using namespace salient;

namespace {

request get(std::string path) {
  request r;
  r.method = "GET";
  r.target = r.path = std::move(path);
  r.now_ms = 1;
  r.request_id = "rq";
  return r;
}

outbound_request to(std::string url) {
  outbound_request o;
  o.url = std::move(url);
  return o;
}

std::vector<step_kind> drain(exchange& ex, std::vector<std::string>* data = nullptr) {
  std::vector<step_kind> kinds;
  for (;;) {
    step s = ex.next();
    kinds.push_back(s.kind);
    if (data) data->emplace_back(s.data);
    if (s.kind == step_kind::wait || s.kind == step_kind::done) return kinds;
  }
}

task<void> one_fetch(exchange& ex, fetch_result* seen) {
  *seen = co_await ex.fetch(to("http://a/1"));
  ex.respond({200, {}});
  ex.write(seen->body);
}

task<void> two_parallel(exchange& ex, std::string* order) {
  auto a = ex.begin_fetch(to("http://a/"));
  auto b = ex.begin_fetch(to("http://b/"));
  auto rb = co_await b;  // awaiting in the other order than they finish must work
  auto ra = co_await a;
  *order = ra.body + rb.body;
  ex.respond({200, {}});
}

task<void> forgets_to_respond(exchange&) { co_return; }

task<void> leaves_effect_running(exchange& ex) {
  (void)ex.begin_fetch(to("http://slow/"));
  ex.respond({204, {}});
  co_return;
}

task<void> sub(exchange& ex, int n, int* sum) {
  auto r = co_await ex.fetch(to("http://n/"));
  *sum += n + static_cast<int>(r.body.size());
}
task<void> nested(exchange& ex, int* sum) {
  co_await sub(ex, 1, sum);
  co_await sub(ex, 10, sum);
  ex.respond({200, {}});
}

}  // namespace

TEST_CASE("exchange: an effect suspends the flow until its result is fed", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  fetch_result seen;
  ex.start(one_fetch(ex, &seen));
  std::vector<std::string> data;
  CHECK(drain(ex, &data) == std::vector{step_kind::effect, step_kind::wait});
  CHECK(data[0].find(R"("url":"http://a/1")") != std::string::npos);
  CHECK(data[0].find(R"("id":1)") != std::string::npos);
  ex.feed_head(1, {201, {{"x", "y"}}});
  ex.feed_chunk(1, "hel");
  CHECK(drain(ex) == std::vector{step_kind::wait});  // still buffering
  ex.feed_chunk(1, "lo");
  ex.feed_end(1);
  std::vector<std::string> out;
  CHECK(drain(ex, &out) == std::vector{step_kind::respond, step_kind::write, step_kind::done});
  CHECK(seen.ok());
  CHECK(seen.head.status == 201);
  CHECK(out[1] == "hello");
  CHECK(ex.next().kind == step_kind::done);  // stays done
}

TEST_CASE("exchange: effects begun together are emitted together and complete in any order", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  std::string order;
  ex.start(two_parallel(ex, &order));
  CHECK(drain(ex) == std::vector{step_kind::effect, step_kind::effect, step_kind::wait});
  ex.feed_head(1, {200, {}});
  ex.feed_chunk(1, "A");
  ex.feed_end(1);  // a finishes first while the flow awaits b
  CHECK(drain(ex) == std::vector{step_kind::wait});
  ex.feed_head(2, {200, {}});
  ex.feed_chunk(2, "B");
  ex.feed_end(2);
  CHECK(drain(ex) == std::vector{step_kind::respond, step_kind::done});
  CHECK(order == "AB");
}

task<void> writes_then_yields(exchange& ex, int* after) {
  ex.respond({200, {}});
  ex.write("first");
  co_await ex.yield_to_host();
  *after = 1;  // runs only once the host has called next() again
  ex.write("second");
}

TEST_CASE("exchange: a yield hands the host what was written; its next call to next() resumes the flow", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  int after = 0;
  ex.start(writes_then_yields(ex, &after));
  std::vector<std::string> data;
  CHECK(ex.next().kind == step_kind::respond);
  step w = ex.next();
  CHECK(w.kind == step_kind::write);
  CHECK(w.data == "first");
  CHECK(ex.next().kind == step_kind::yield);
  CHECK(after == 0);  // the flow waits until the host comes back
  CHECK(drain(ex, &data) == std::vector{step_kind::write, step_kind::done});
  CHECK(after == 1);
  CHECK(data[0] == "second");
}

TEST_CASE("exchange: nested coroutines resume their callers in order", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  int sum = 0;
  ex.start(nested(ex, &sum));
  drain(ex);
  ex.feed_head(1, {200, {}});
  ex.feed_chunk(1, "xx");
  ex.feed_end(1);
  CHECK(drain(ex) == std::vector{step_kind::effect, step_kind::wait});
  ex.feed_head(2, {200, {}});
  ex.feed_end(2);
  CHECK(drain(ex) == std::vector{step_kind::respond, step_kind::done});
  CHECK(sum == 13);
}

TEST_CASE("exchange: a failed effect resumes the flow with the failure", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  fetch_result seen;
  ex.start(one_fetch(ex, &seen));
  drain(ex);
  ex.feed_failure(1, {effect_failure_kind::timeout, "slow"});
  drain(ex);
  REQUIRE(seen.failure);
  CHECK(seen.failure->kind == effect_failure_kind::timeout);
  CHECK_FALSE(seen.success());
}

TEST_CASE("exchange: input for unknown or finished effects is ignored", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  fetch_result seen;
  ex.start(one_fetch(ex, &seen));
  drain(ex);
  ex.feed_chunk(99, "stray");
  ex.feed_end(99);
  ex.feed_head(1, {200, {}});
  ex.feed_end(1);
  drain(ex);
  ex.feed_chunk(1, "late");  // after completion
  ex.feed_end(1);
  CHECK(ex.next().kind == step_kind::done);
}

TEST_CASE("exchange: cancel aborts in-flight effects and the flow winds down", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  fetch_result seen;
  ex.start(one_fetch(ex, &seen));
  drain(ex);
  ex.cancel();
  std::vector<std::string> data;
  auto kinds = drain(ex, &data);
  CHECK(kinds == std::vector{step_kind::cancel_effect, step_kind::done});
  CHECK(data[0] == R"({"id":1})");
  REQUIRE(seen.failure);
  CHECK(seen.failure->kind == effect_failure_kind::aborted);
}

TEST_CASE("exchange: a flow that returns without responding gets a 500", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  ex.start(forgets_to_respond(ex));
  std::vector<std::string> data;
  CHECK(drain(ex, &data) == std::vector{step_kind::respond, step_kind::write, step_kind::done});
  CHECK(data[0].find(R"("status":500)") != std::string::npos);
}

TEST_CASE("exchange: effects still running when the flow ends are cancelled", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  ex.start(leaves_effect_running(ex));
  CHECK(drain(ex) == std::vector{step_kind::effect, step_kind::respond, step_kind::cancel_effect, step_kind::done});
}

TEST_CASE("exchange: an oversized effect body fails the effect and cancels it", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  fetch_result seen;
  ex.start(one_fetch(ex, &seen));
  drain(ex);
  ex.feed_head(1, {200, {}});
  std::string big(exchange::max_effect_body, 'x');
  ex.feed_chunk(1, big);
  ex.feed_chunk(1, "y");
  auto kinds = drain(ex);
  CHECK(kinds.front() == step_kind::cancel_effect);
  REQUIRE(seen.failure);
}

TEST_CASE("exchange: logs below the minimum level are dropped and carry the request id", "[exchange]") {
  exchange ex(get("/"), log_level::warn);
  ex.log(log_level::info, "quiet");
  ex.log(log_level::error, "loud", {{"n", std::int64_t{3}}, {"ok", true}});
  std::vector<std::string> data;
  CHECK(drain(ex, &data) == std::vector{step_kind::log, step_kind::wait});
  CHECK(data[0] == R"({"event":"loud","level":"error","n":3,"ok":true,"request_id":"rq"})");
}

namespace {
task<void> store_after(exchange& ex, fetch_result* first, fetch_result* stored) {
  *first = co_await ex.fetch(to("http://read/"));
  *stored = co_await ex.fetch(to("http://store/"), effect_policy::survive_cancel);
}
}  // namespace

TEST_CASE("exchange: survive_cancel effects finish after cancel and may begin after it", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  fetch_result first, stored;
  ex.start(store_after(ex, &first, &stored));
  drain(ex);
  ex.cancel();  // the read is aborted; the flow goes on to store
  CHECK(drain(ex) == std::vector{step_kind::cancel_effect, step_kind::effect, step_kind::wait});
  REQUIRE(first.failure);
  ex.feed_head(2, {201, {}});
  ex.feed_end(2);
  CHECK(drain(ex) == std::vector{step_kind::done});
  CHECK(stored.success());
}

namespace {
task<void> writes_three(exchange& ex) {
  ex.respond({200, {}});
  ex.write("a");
  ex.write("b");
  ex.log(log_level::info, "between");
  ex.write("c");
  co_return;
}
}  // namespace

TEST_CASE("exchange: consecutive writes reach the host as one step, in order", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  ex.start(writes_three(ex));
  std::vector<std::string> data;
  CHECK(drain(ex, &data) == std::vector{step_kind::respond, step_kind::write, step_kind::log, step_kind::write,
                                         step_kind::done});
  CHECK(data[1] == "ab");
  CHECK(data[3] == "c");
}

namespace {

/// Reads a streaming effect piece by piece, writing a line per piece: "head 200", "data …",
/// "end" or "failed <kind>".
task<void> read_stream(exchange& ex, std::vector<std::string>* pieces) {
  outbound_request o = to("http://llm/");
  o.stream = true;
  auto upstream = ex.begin_fetch(std::move(o));
  ex.respond({200, {}});
  for (;;) {
    effect_piece p = co_await upstream.next_piece();
    switch (p.what) {
      case effect_piece::kind::head: pieces->push_back("head " + std::to_string(p.head.status)); break;
      case effect_piece::kind::data: pieces->push_back("data " + std::string(p.bytes)); break;
      case effect_piece::kind::end: pieces->push_back("end"); co_return;
      case effect_piece::kind::failed:
        pieces->push_back(std::string("failed ") + (p.failure->kind == effect_failure_kind::aborted ? "aborted" : "other"));
        co_return;
    }
    ex.write(pieces->back());
  }
}

}  // namespace

TEST_CASE("exchange: a streaming effect is read piece by piece as it arrives", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  std::vector<std::string> pieces;
  ex.start(read_stream(ex, &pieces));
  std::vector<std::string> data;
  drain(ex, &data);
  CHECK(data[0].find(R"("stream":true)") != std::string::npos);
  ex.feed_head(1, {200, {}});
  CHECK(pieces == std::vector<std::string>{"head 200"});
  ex.feed_chunk(1, "a");
  CHECK(pieces.back() == "data a");  // each chunk resumes the flow at once
  data.clear();
  // (the response head went out with the effect; the two writes merged into one step)
  CHECK(drain(ex, &data) == std::vector<step_kind>{step_kind::write, step_kind::wait});
  CHECK(data[0] == "head 200data a");
  ex.feed_chunk(1, "b");
  ex.feed_chunk(1, "c");
  ex.feed_end(1);
  CHECK(pieces == std::vector<std::string>{"head 200", "data a", "data b", "data c", "end"});
  drain(ex);
  CHECK(ex.finished());
}

TEST_CASE("exchange: pieces that arrive while the flow is busy are merged; a failure comes after them", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  std::vector<std::string> pieces;
  // Feed before the flow first waits: head and chunks queue up in the slot.
  ex.start(read_stream(ex, &pieces));
  drain(ex);
  ex.feed_head(1, {502, {}});
  ex.feed_chunk(1, "x");
  ex.feed_chunk(1, "y");
  ex.feed_failure(1, {effect_failure_kind::network, "reset"});
  // head woke the flow; x arrived during no wait (flow already waiting again → woken); the
  // failure is reported only after every byte that came before it.
  CHECK(pieces.front() == "head 502");
  CHECK(pieces.back() == "failed other");
  std::string all;
  for (auto& p : pieces)
    if (p.rfind("data ", 0) == 0) all += p.substr(5);
  CHECK(all == "xy");
}

TEST_CASE("exchange: cancel ends a streaming read with aborted, dropping unread bytes", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  std::vector<std::string> pieces;
  ex.start(read_stream(ex, &pieces));
  drain(ex);
  ex.feed_head(1, {200, {}});
  ex.cancel();
  CHECK(pieces == std::vector<std::string>{"head 200", "failed aborted"});
  std::vector<std::string> data;
  auto kinds = drain(ex, &data);
  CHECK(std::find(kinds.begin(), kinds.end(), step_kind::cancel_effect) != kinds.end());
  CHECK(ex.finished());
}

namespace {
task<void> reads_head_then_stops(exchange& ex, std::vector<std::string>* pieces) {
  outbound_request o = to("http://llm/");
  o.stream = true;
  auto upstream = ex.begin_fetch(std::move(o));
  effect_piece p = co_await upstream.next_piece();
  pieces->push_back(p.what == effect_piece::kind::head ? "head" : "other");
  upstream.cancel();
  upstream.cancel();  // twice is harmless
  effect_piece after = co_await upstream.next_piece();
  pieces->push_back(after.what == effect_piece::kind::failed ? "failed" : "other");
  ex.respond({200, {}});
}
}  // namespace

TEST_CASE("exchange: a flow can cancel an effect it no longer wants", "[exchange]") {
  exchange ex(get("/"), log_level::info);
  std::vector<std::string> pieces;
  ex.start(reads_head_then_stops(ex, &pieces));
  drain(ex);
  ex.feed_head(1, {200, {}});
  std::vector<std::string> data;
  auto kinds = drain(ex, &data);
  CHECK(pieces == std::vector<std::string>{"head", "failed"});
  CHECK(kinds == std::vector<step_kind>{step_kind::cancel_effect, step_kind::respond, step_kind::done});
  CHECK(data[0] == R"({"id":1})");
  ex.feed_chunk(1, "late");  // ignored
}
