// Whole requests through the chat and stream flows (/chat, /history, /sessions, the stream): the input's first byte picks the flow and
// how the fake store answers, the rest is split into a request body and a store response.
// Invariants: every request ends (done) with exactly one response of a valid status, and no
// trap, whatever the visitor or the store sends.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "salient/flows/flows.h"
#include "salient/runtime/instance.h"

namespace {

salient::instance& configured(salient::function_entry entry) {
  auto* inst = new salient::instance(entry);  // one per flow for the process: configure once
  auto r = inst->configure(
      R"({"config":{"chat":{"max_message_chars":50}},"env":{"SALIENT_STREAM_SECRET":"fuzz-secret-0123456789abcdef0123456789","SUPABASE_URL":"http://store.test"}})");
  if (!r) std::abort();
  return *inst;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static salient::instance& chat = configured(salient::chat_flow);
  static salient::instance& stream = configured(salient::stream_flow);
  if (size == 0) return 0;
  std::uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t nul = rest.find('\0');
  std::string_view body = rest.substr(0, nul), store_answer = nul == std::string_view::npos ? "" : rest.substr(nul + 1);

  bool use_stream = mode & 1;
  salient::instance& inst = use_stream ? stream : chat;
  std::string head = use_stream
      ? std::string(R"({"method":"GET","now_ms":1763800000000,"url":"/a/sales/events/stream?)") +
            salient::percent_encode(std::string(body)) + "\"}"
      : std::string(R"({"method":"POST","now_ms":1763800000000,"url":"/a/sales/chat","headers":[["content-type",")") +
            ((mode & 2) ? "application/json" : "application/x-www-form-urlencoded") + "\"]]}";
  if (!use_stream) {
    // Bits 5-6 pick the chat function's POST route (the head names /chat until here).
    static constexpr const char* routes[] = {"/a/sales/chat", "/a/sales/chat", "/a/sales/history", "/a/sales/sessions"};
    head.replace(head.find("/a/sales/chat"), 13, routes[(mode >> 5) & 3]);
  }
  std::uint32_t h = inst.start(head, use_stream ? "" : body);
  int responses = 0;
  for (int rounds = 0; rounds < 16; ++rounds) {
    salient::exchange* ex = inst.find(h);
    if (!ex) std::abort();
    salient::step s = ex->next();
    if (s.kind == salient::step_kind::done) break;
    if (s.kind == salient::step_kind::respond) ++responses;
    if (s.kind == salient::step_kind::effect) {
      // Answer each effect (ids count from 1) with the fuzzed store answer.
      std::uint32_t id = static_cast<std::uint32_t>(rounds + 1);
      if (mode & 4) {
        ex->feed_failure(1, {salient::effect_failure_kind::timeout, "fuzz"});
      } else {
        // Bit 3 makes the store fail (500); bits 5-6 both set also try a conflict (409).
        int status = (mode & 8) ? 500 : ((mode & 0x60) == 0x60 && (mode & 2)) ? 409 : 200;
        ex->feed_head(id, {status, {}});
        ex->feed_chunk(id, store_answer);
        ex->feed_end(id);
        ex->feed_head(1, {200, {}});
        ex->feed_chunk(1, store_answer);
        ex->feed_end(1);
      }
    }
    if (s.kind == salient::step_kind::wait && (mode & 16)) ex->cancel();
    if (s.kind == salient::step_kind::wait && !(mode & 16)) {
      // Unblock whatever is pending so the request can end.
      for (std::uint32_t id = 1; id <= 4; ++id) ex->feed_failure(id, {salient::effect_failure_kind::network, "fuzz"});
    }
  }
  salient::exchange* ex = inst.find(h);
  if (!ex || !ex->finished()) std::abort();  // every request ends
  if (responses > 1) std::abort();
  if (responses == 0 && !ex->cancelled()) std::abort();
  inst.release(h);
  return 0;
}
