#include "salient/http/stream_token.h"

#include <sodium.h>

#include "salient/core/entropy.h"

namespace salient {
namespace {

constexpr std::size_t mac_b64_len = 43;  // 32 bytes, base64url without padding

constexpr std::string_view stream_domain = "salient-stream-v1|";
constexpr std::string_view transcript_domain = "salient-transcript-v1|";

void mac(std::string_view domain, std::string_view secret, std::string_view agent, std::string_view turn_id,
         std::string_view exp, unsigned char out[crypto_auth_hmacsha256_BYTES]) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  auto update = [&](std::string_view s) {
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  update(domain);
  update(agent);
  update("|");
  update(turn_id);
  update("|");
  update(exp);
  crypto_auth_hmacsha256_final(&st, out);
}

std::string sign_id(std::string_view domain, std::string_view secret, std::string_view agent, std::string_view turn_id,
                    std::int64_t exp_unix_s) {
  std::string exp = std::to_string(exp_unix_s);
  unsigned char m[crypto_auth_hmacsha256_BYTES];
  mac(domain, secret, agent, turn_id, exp, m);
  char b64[sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(b64, sizeof b64, m, sizeof m, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::string out(turn_id);
  out += '.';
  out += exp;
  out += '.';
  out += b64;
  return out;
}

/// What verify_stream_id and verify_transcript_link check, for ids signed under `domain`; `what`
/// names the id in errors; `expired` is the message for one past its expiry.
result<std::string> verify_id(std::string_view domain, std::string_view what, std::string_view expired,
                              std::string_view secret, std::string_view agent, std::string_view id,
                              std::int64_t now_unix_s, std::int64_t max_ttl_s, std::int64_t grace_s) {
  auto malformed = make_error(errc::bad_request, "malformed " + std::string(what));
  std::size_t d1 = id.find('.');
  if (d1 == std::string_view::npos) return malformed;
  std::size_t d2 = id.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return malformed;
  std::string_view turn = id.substr(0, d1), exp = id.substr(d1 + 1, d2 - d1 - 1), given = id.substr(d2 + 1);
  if (!is_uuid(turn) || exp.empty() || exp.size() > 12 || given.size() != mac_b64_len) return malformed;
  std::int64_t exp_s = 0;
  for (char c : exp) {
    if (c < '0' || c > '9') return malformed;
    exp_s = exp_s * 10 + (c - '0');
  }
  unsigned char given_mac[crypto_auth_hmacsha256_BYTES];
  std::size_t decoded = 0;
  if (sodium_base642bin(given_mac, sizeof given_mac, given.data(), given.size(), nullptr, &decoded, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      decoded != sizeof given_mac)
    return malformed;
  unsigned char expected[crypto_auth_hmacsha256_BYTES];
  mac(domain, secret, agent, turn, exp, expected);
  if (sodium_memcmp(given_mac, expected, sizeof expected) != 0)
    return make_error(errc::unauthorized, "invalid " + std::string(what));
  if (exp_s + grace_s < now_unix_s) return make_error(errc::unauthorized, std::string(expired));
  if (exp_s > now_unix_s + max_ttl_s + 5) return make_error(errc::unauthorized, "invalid " + std::string(what));
  return std::string(turn);
}

}  // namespace

std::string sign_stream_id(std::string_view secret, std::string_view agent, std::string_view turn_id,
                           std::int64_t exp_unix_s) {
  return sign_id(stream_domain, secret, agent, turn_id, exp_unix_s);
}

result<std::string> verify_stream_id(std::string_view secret, std::string_view agent, std::string_view id,
                                     std::int64_t now_unix_s, std::int64_t max_ttl_s, std::int64_t grace_s) {
  return verify_id(stream_domain, "stream_id", "stream_id expired; send the message again", secret, agent, id,
                   now_unix_s, max_ttl_s, grace_s);
}

std::string sign_transcript_link(std::string_view secret, std::string_view agent, std::string_view summary_id,
                                 std::int64_t exp_unix_s) {
  return sign_id(transcript_domain, secret, agent, summary_id, exp_unix_s);
}

result<std::string> verify_transcript_link(std::string_view secret, std::string_view agent, std::string_view token,
                                           std::int64_t now_unix_s, std::int64_t max_ttl_s) {
  return verify_id(transcript_domain, "transcript link", "this link has expired", secret, agent, token, now_unix_s,
                   max_ttl_s, 0);
}

}  // namespace salient
