// Linked into a copy of the stream reactor by bench/profile-relay-split.mjs (a diagnostic, not
// shipped): the relay's piece loop run inside wasm, so that the time of the same work with and
// without the JS side of the boundary can be told apart in one process.
//
// Pieces are packed in memory as [u32 length, bytes]*; both loops skip the last piece (the one
// with [DONE]), as the bench's timed loop does.
#include <cstdint>
#include <cstring>
#include <string>

#include "flows/stream/answer_events.h"
#include "salient/core/exchange.h"
#include "salient/upstream/openrouter/llm_client.h"

extern "C" {
std::uint32_t salient_next(std::uint32_t handle);
std::uint32_t salient_effect_chunk_next(std::uint32_t handle, std::uint32_t id, const char* ptr, std::uint32_t len);
const void* salient_output_slot();
}

namespace {

struct slot_words {
  std::uint32_t ptr, len, idle;
};

std::uint32_t piece_length(const char*& at) {
  std::uint32_t len;
  std::memcpy(&len, at, sizeof len);
  at += sizeof len;
  return len;
}

std::string kept;  // where copied WRITEs go: one allocation per WRITE, as a host's copy out

}  // namespace

/// The exchange `handle` is waiting for pieces of effect `id`: feed them as the host loop does
/// (one salient_effect_chunk_next per piece, then salient_next until a step is marked idle).
/// `copy`: copy each WRITE into a fresh std::string. Returns the number of WRITEs.
extern "C" __attribute__((export_name("split_core_loop"))) std::uint32_t split_core_loop(std::uint32_t handle, std::uint32_t id,
                                                                                      const char* at, std::uint32_t pieces,
                                                                                      std::uint32_t copy) {
  const auto* slot = static_cast<const slot_words*>(salient_output_slot());
  std::uint32_t writes = 0;
  for (std::uint32_t i = 0; i + 1 < pieces; ++i) {
    std::uint32_t len = piece_length(at);
    for (std::uint32_t kind = salient_effect_chunk_next(handle, id, at, len); kind != 0 && kind != 4;
         kind = salient_next(handle)) {
      if (kind == 3) {
        ++writes;
        if (copy) kept = std::string(reinterpret_cast<const char*>(static_cast<std::uintptr_t>(slot->ptr)), slot->len);
      }
      if (slot->idle) break;
    }
    at += len;
  }
  return writes;
}

/// The relay's own work alone: the SSE reader and chunk scanner (completion_relay) and the
/// token events (answer_events, writing into an exchange's WRITE step, taken after each piece),
/// with no coroutine, effect bookkeeping or ABI entry around them. Returns the bytes written.
extern "C" __attribute__((export_name("split_parse_frame"))) std::uint32_t split_parse_frame(const char* at, std::uint32_t pieces) {
  salient::request req;
  req.method = "GET";
  salient::exchange ex(std::move(req), salient::log_level::error);
  ex.respond({200, {}});
  ex.next();
  salient::answer_events events(ex, salient::event_format::json);
  salient::completion_relay relay;
  std::uint32_t bytes = 0;
  for (std::uint32_t i = 0; i + 1 < pieces; ++i) {
    std::uint32_t len = piece_length(at);
    relay.feed(std::string_view(at, len), [&](std::string_view text) { events.token(text); });
    for (salient::step s = ex.next(); s.kind != salient::step_kind::wait; s = ex.next()) bytes += static_cast<std::uint32_t>(s.data.size());
    at += len;
  }
  return bytes;
}
