#pragma once
// Randomness behind one interface. Live requests draw from the platform CSPRNG (libsodium's
// randombytes, which in wasm32-wasi is WASI random_get); a request head that carries an
// `entropy` seed (recorded transcripts, golden tests) gets a deterministic ChaCha20 stream
// from that seed instead, so a replay reproduces the same ids byte for byte.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace salient {

class entropy {
 public:
  /// seed: empty for the system CSPRNG, or exactly 32 bytes for a deterministic stream.
  explicit entropy(std::string_view seed = {});
  void fill(std::span<std::uint8_t> out);

 private:
  std::string seed_;
  std::string pool_;     // deterministic mode: bytes generated so far
  std::size_t used_ = 0;
};

/// An RFC 9562 UUIDv7 (time-ordered: unix ms in the top 48 bits), lower-case with hyphens.
std::string uuid_v7(std::int64_t unix_ms, entropy& rng);

/// True for the canonical 8-4-4-4-12 lower/upper-case hex form.
bool is_uuid(std::string_view s);

}  // namespace salient
