// verify_stream_id on arbitrary bytes. Invariants: bad_request or unauthorized, never a crash,
// and nothing is accepted unless it was signed (the fuzzer cannot forge an HMAC); the one
// accepted shape is a signed id, checked by signing the input's own turn and expiry.
#include <sodium.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "salient/http/stream_token.h"

namespace {
constexpr std::string_view secret = "fuzz-secret-0123456789abcdef0123456789";
constexpr std::int64_t now = 1763800000;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static bool ready = sodium_init() >= 0;
  if (!ready) std::abort();
  std::string_view id(reinterpret_cast<const char*>(data), size);
  auto v = salient::verify_stream_id(secret, "sales", id, now, 60);
  if (v) std::abort();  // forging a MAC by fuzzing would be a crypto break
  // The transcript links: the same form under their own domain, equally unforgeable.
  if (salient::verify_transcript_link(secret, "sales", id, now, 14 * 86400)) std::abort();
  if (v.err().kind != salient::errc::bad_request && v.err().kind != salient::errc::unauthorized) std::abort();
  // Round trip on the input's own fields, when it has a turn-shaped prefix.
  if (size >= 36) {
    std::string turn(id.substr(0, 36));
    auto signed_id = salient::sign_stream_id(secret, "sales", turn, now + 30);
    auto back = salient::verify_stream_id(secret, "sales", signed_id, now, 60);
    if (back.ok() != (back ? *back == turn : false)) std::abort();
    // A stream id is no transcript link, and the other way round.
    if (back && salient::verify_transcript_link(secret, "sales", signed_id, now, 60)) std::abort();
  }
  return 0;
}
