// The reactor ABI (docs/ABI.md): the exports a JS host calls. Every export is a thin
// translation between (ptr, len) pairs and salient::instance; body bytes pass through raw.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "function_entry.h"
#include "core/json.h"
#include "salient/core/envelope.h"
#include "salient/core/json_write.h"

#define SALIENT_EXPORT(name) extern "C" __attribute__((export_name(name)))

namespace {

salient::instance& inst() {
  static salient::instance instance(salient_function_entry());
  return instance;
}

// The bytes of the last step (or configure error), valid until the next call into the module.
std::string_view output;
std::string error_output;
std::string search_output;

// The same ptr and len as u32s in memory, at a fixed address (salient_output_slot): a host reads
// them from its memory view instead of making two more calls per step. The third says the step
// just taken was the last one for now (the next salient_next would return WAIT and do
// nothing), so a host skips that call: one call fewer per relayed piece.
struct {
  std::uint32_t ptr = 0, len = 0, idle = 0;
} output_slot;

void set_output(std::string_view bytes, bool idle = false) {
  output = bytes;
  output_slot.ptr = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(bytes.data()));
  output_slot.len = static_cast<std::uint32_t>(bytes.size());
  output_slot.idle = idle;
}

std::string_view bytes(const char* ptr, std::uint32_t len) { return {ptr, len}; }

}  // namespace

// 2: salient_effect_chunk_next. 3: the output slot's `idle` word. 4: an EFFECT's body follows its
// JSON raw. hosts/driver.js needs all three.
SALIENT_EXPORT("salient_abi_version") std::uint32_t salient_abi_version() { return 4; }

SALIENT_EXPORT("salient_alloc") void* salient_alloc(std::uint32_t len) { return std::malloc(len ? len : 1); }

SALIENT_EXPORT("salient_free") void salient_free(void* ptr) { std::free(ptr); }

SALIENT_EXPORT("salient_configure") std::uint32_t salient_configure(const char* ptr, std::uint32_t len) {
  auto r = inst().configure(bytes(ptr, len));
  if (r) {
    set_output({});
    return 0;
  }
  error_output = salient::detail::dump(
      salient::detail::json{{"error", {{"code", salient::code_name(r.err().kind)}, {"message", r.err().message}, {"path", r.err().path}}}});
  set_output(error_output);
  return 1;
}

SALIENT_EXPORT("salient_knowledge") std::uint32_t salient_knowledge(const char* ptr, std::uint32_t len) {
  auto r = inst().load_knowledge(std::string(ptr, len));
  if (r) {
    set_output({});
    return 0;
  }
  error_output = salient::detail::dump(
      salient::detail::json{{"error", {{"code", salient::code_name(r.err().kind)}, {"message", r.err().message}}}});
  set_output(error_output);
  return 1;
}

// The local index's answer to a query, exactly as the stream function retrieves (minus the
// config's cut-offs): [{"chunk","score","source","title","heading","url"}]. For the retrieval
// evaluation and benchmark (bench/retrieval.mjs); it reads nothing else and changes nothing.
SALIENT_EXPORT("salient_search")
std::uint32_t salient_search(const char* ptr, std::uint32_t len, std::uint32_t k) {
  search_output.clear();
  search_output.push_back('[');
  for (const auto& h : inst().knowledge().search(bytes(ptr, len), k)) {
    auto c = inst().knowledge().chunk(h.chunk);
    if (search_output.size() > 1) search_output.push_back(',');
    search_output += R"({"chunk":)" + std::to_string(h.chunk) + R"(,"score":)" + std::to_string(h.score) + R"(,"source":)";
    salient::append_json_string(search_output, c.source);
    search_output += R"(,"title":)";
    salient::append_json_string(search_output, c.title);
    search_output += R"(,"heading":)";
    salient::append_json_string(search_output, c.heading);
    search_output += R"(,"url":)";
    salient::append_json_string(search_output, c.url);
    search_output.push_back('}');
  }
  search_output.push_back(']');
  set_output(search_output);
  return 0;
}

SALIENT_EXPORT("salient_start")
std::uint32_t salient_start(const char* head, std::uint32_t head_len, const char* body, std::uint32_t body_len) {
  return inst().start(bytes(head, head_len), bytes(body, body_len));
}

SALIENT_EXPORT("salient_next") std::uint32_t salient_next(std::uint32_t handle) {
  salient::exchange* ex = inst().find(handle);
  if (!ex) {
    set_output({});
    return static_cast<std::uint32_t>(salient::step_kind::done);
  }
  salient::step s = ex->next();
  set_output(s.data, s.kind != salient::step_kind::wait && ex->idle());
  return static_cast<std::uint32_t>(s.kind);
}

SALIENT_EXPORT("salient_output_ptr") const char* salient_output_ptr() { return output.data(); }

SALIENT_EXPORT("salient_output_len") std::uint32_t salient_output_len() {
  return static_cast<std::uint32_t>(output.size());
}

SALIENT_EXPORT("salient_output_slot") const void* salient_output_slot() { return &output_slot; }

SALIENT_EXPORT("salient_effect_head")
void salient_effect_head(std::uint32_t handle, std::uint32_t id, const char* ptr, std::uint32_t len) {
  salient::exchange* ex = inst().find(handle);
  if (!ex) return;
  auto head = salient::parse_response_head(bytes(ptr, len));
  if (head) ex->feed_head(id, std::move(*head));
  else ex->feed_failure(id, {salient::effect_failure_kind::network, "host sent an unreadable response head"});
}

SALIENT_EXPORT("salient_effect_chunk")
void salient_effect_chunk(std::uint32_t handle, std::uint32_t id, const char* ptr, std::uint32_t len) {
  if (salient::exchange* ex = inst().find(handle)) ex->feed_chunk(id, bytes(ptr, len));
}

// salient_effect_chunk, then salient_next: that step's kind, its bytes in the output slot. Most
// pieces of a relayed stream yield no step or one WRITE, so this is one call per piece instead
// of two or three (docs/ABI.md).
SALIENT_EXPORT("salient_effect_chunk_next")
std::uint32_t salient_effect_chunk_next(std::uint32_t handle, std::uint32_t id, const char* ptr, std::uint32_t len) {
  salient_effect_chunk(handle, id, ptr, len);
  return salient_next(handle);
}

SALIENT_EXPORT("salient_effect_end") void salient_effect_end(std::uint32_t handle, std::uint32_t id) {
  if (salient::exchange* ex = inst().find(handle)) ex->feed_end(id);
}

SALIENT_EXPORT("salient_effect_fail")
void salient_effect_fail(std::uint32_t handle, std::uint32_t id, const char* ptr, std::uint32_t len) {
  salient::exchange* ex = inst().find(handle);
  if (!ex) return;
  auto failure = salient::parse_effect_failure(bytes(ptr, len));
  ex->feed_failure(id, failure ? std::move(*failure)
                               : salient::effect_failure{salient::effect_failure_kind::network, "effect failed"});
}

SALIENT_EXPORT("salient_cancel") void salient_cancel(std::uint32_t handle) {
  if (salient::exchange* ex = inst().find(handle)) ex->cancel();
}

SALIENT_EXPORT("salient_release") void salient_release(std::uint32_t handle) { inst().release(handle); }
