// The ABI's JSON documents from the host on arbitrary bytes: the request head (head and body
// split at the first NUL), effect response heads and effect failures; and the EFFECT step the
// core writes, with the same bytes as its URL and body.
// Invariants: a value or a bad_request error, never a crash; an accepted head is well-formed;
// an EFFECT step splits back into one JSON line and exactly the body it was given.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "salient/core/envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  std::size_t nul = all.find('\0');
  std::string_view head = all.substr(0, nul), body = nul == std::string_view::npos ? "" : all.substr(nul + 1);
  auto req = salient::parse_request_head(head, body);
  if (req) {
    if (req->method.empty() || req->path.empty() || req->path.front() != '/' || req->now_ms <= 0) std::abort();
    if (!req->entropy_seed.empty() && req->entropy_seed.size() != 32) std::abort();
    if (req->body != body) std::abort();
  } else if (req.err().kind != salient::errc::bad_request) {
    std::abort();
  }
  if (auto h = salient::parse_response_head(all); h && (h->status < 100 || h->status > 599)) std::abort();
  (void)salient::parse_effect_failure(all);

  salient::outbound_request effect;
  effect.method = "POST";
  effect.url = std::string(head);
  effect.headers = {{"content-type", std::string(head)}};
  effect.body = std::string(body);
  std::string step = salient::effect_step_bytes(7, effect);
  auto parts = salient::split_effect_step(step);
  if (parts.body != body || parts.head.find('\n') != std::string_view::npos || parts.head.empty()) std::abort();
  return 0;
}
