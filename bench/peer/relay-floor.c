// The relay's host floor (bench/relay-node.mjs): a module that does none of the relay's work.
// For each network piece it answers the step the stream core answered for that piece (a WRITE
// of the same length, or WAIT), so a host loop driving it pays exactly the host's side of the
// core's loop: the copy in of every piece, one call per piece, and the copy out of every WRITE.
// Run time of the core minus run time of this = the time spent inside the core.
#include <stdint.h>
#include <stdlib.h>

enum { WAIT = 0, WRITE = 3 };

static struct {
  uint32_t ptr, len, idle;  // as the reactor's output slot (docs/ABI.md)
} slot;
static const uint32_t* plan;  // per piece: the length of the WRITE it produced (0: none)
static uint32_t plan_len, piece;
static unsigned char out[65536];

__attribute__((export_name("floor_alloc"))) void* floor_alloc(size_t n) { return malloc(n); }
__attribute__((export_name("floor_slot"))) void* floor_slot(void) { return &slot; }

/** Sets the plan (an array of u32 in memory) and starts over at its first piece. */
__attribute__((export_name("floor_plan"))) void floor_plan(const uint32_t* p, uint32_t n) {
  plan = p;
  plan_len = n;
  piece = 0;
}

/** As salient_effect_chunk_next: the piece's first step. The bytes are not looked at. */
__attribute__((export_name("floor_chunk_next"))) uint32_t floor_chunk_next(const unsigned char* ptr, uint32_t len) {
  (void)ptr;
  (void)len;
  uint32_t n = piece < plan_len ? plan[piece++] : 0;
  if (n == 0 || n > sizeof out) return WAIT;
  slot.ptr = (uint32_t)(uintptr_t)out;
  slot.len = n;
  slot.idle = 1;  // a piece's WRITE is its last step, as the core marks it
  return WRITE;
}

/** As salient_next after a piece's WRITE (a host that reads the idle word never calls it). */
__attribute__((export_name("floor_next"))) uint32_t floor_next(void) { return WAIT; }
