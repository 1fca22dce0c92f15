#pragma once
// The signed, single-use, short-lived stream_id of the POST-then-GET pattern (the seed
// design's "Security for streaming endpoints"): the POST stores the visitor's message and returns a
// stream_id; the GET presents it to open the SSE stream. No prompt or PII is in the URL.
//
//   stream_id = <turn_id> "." <exp_unix_seconds> "." base64url(HMAC-SHA256(secret, signed))
//   signed    = "salient-stream-v1|" <agent> "|" <turn_id> "|" <exp>
//
// The MAC binds the agent, so an id minted for /a/sales/ does not open /a/support/. Expiry
// keeps ids short-lived; single use is enforced by the state store (claim_turn), since a
// stateless token cannot know it was used.
#include <cstdint>
#include <string>
#include <string_view>

#include "salient/core/result.h"

namespace salient {

/// Secrets shorter than this are refused (configuration error).
constexpr std::size_t min_stream_secret_bytes = 32;

std::string sign_stream_id(std::string_view secret, std::string_view agent, std::string_view turn_id,
                           std::int64_t exp_unix_s);

/// The turn id of a valid stream_id. Errors: bad_request (malformed), unauthorized (bad MAC,
/// expired more than `grace_s` ago, or expiry beyond `max_ttl_s` from now — never minted by us).
/// `grace_s`: how long an expired id still counts (a resumed stream; stream_flow.cpp).
result<std::string> verify_stream_id(std::string_view secret, std::string_view agent, std::string_view stream_id,
                                     std::int64_t now_unix_s, std::int64_t max_ttl_s, std::int64_t grace_s = 0);

/// The read-only transcript link of a summary email (GET /a/{agent}/transcript/<token>), the
/// same form under its own domain ("salient-transcript-v1|"): <summary_id>.<exp>.<mac>. It is a
/// capability sent to the sales team only; the store still checks that the summary exists (the
/// visitor may have erased it) and has not expired.
std::string sign_transcript_link(std::string_view secret, std::string_view agent, std::string_view summary_id,
                                 std::int64_t exp_unix_s);
/// The summary id of a valid link. Errors as verify_stream_id's; expired: "this link has expired".
result<std::string> verify_transcript_link(std::string_view secret, std::string_view agent, std::string_view token,
                                           std::int64_t now_unix_s, std::int64_t max_ttl_s);

}  // namespace salient
