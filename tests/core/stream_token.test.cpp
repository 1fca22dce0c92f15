#include <catch2/catch_test_macros.hpp>
#include <sodium.h>

#include "salient/http/stream_token.h"

using namespace salient;

namespace {
constexpr const char* secret = "a-secret-of-at-least-thirty-two-bytes!!";
constexpr const char* turn = "019a9b4e-0000-7000-8000-000000000001";
constexpr std::int64_t now = 1763800000;
}  // namespace

TEST_CASE("stream_token: a signed id verifies and yields its turn", "[stream_token]") {
  REQUIRE(sodium_init() >= 0);
  std::string id = sign_stream_id(secret, "sales", turn, now + 60);
  CHECK(id.rfind(std::string(turn) + ".1763800060.", 0) == 0);
  auto v = verify_stream_id(secret, "sales", id, now, 60);
  REQUIRE(v.ok());
  CHECK(*v == turn);
}

TEST_CASE("stream_token: the MAC matches an independent HMAC-SHA256", "[stream_token]") {
  // Recompute with libsodium's one-shot API over the documented signed string.
  std::string id = sign_stream_id(std::string(32, 'k'), "sales", turn, 100);
  std::string msg = std::string("salient-stream-v1|sales|") + turn + "|100";
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                         reinterpret_cast<const unsigned char*>(std::string(32, 'k').data()));
  char b64[64];
  sodium_bin2base64(b64, sizeof b64, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  CHECK(id.substr(id.rfind('.') + 1) == b64);
}

TEST_CASE("stream_token: tampering, another agent or another secret is unauthorized", "[stream_token]") {
  std::string id = sign_stream_id(secret, "sales", turn, now + 60);
  std::string tampered = id;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  std::string other_turn = id;
  other_turn[35] = other_turn[35] == '1' ? '2' : '1';
  struct bad_case {
    std::string secret, agent, id;
  };
  for (const auto& [sec, agent, candidate] :
       {bad_case{secret, "sales", tampered}, bad_case{secret, "support", id},
        bad_case{"another-secret-of-thirty-two-bytes!!", "sales", id}, bad_case{secret, "sales", other_turn}}) {
    auto v = verify_stream_id(sec, agent, candidate, now, 60);
    REQUIRE_FALSE(v.ok());
    CHECK(v.err().kind == errc::unauthorized);
  }
}

TEST_CASE("stream_token: expired ids and ids from too far in the future are unauthorized", "[stream_token]") {
  auto expired = verify_stream_id(secret, "sales", sign_stream_id(secret, "sales", turn, now - 1), now, 60);
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.err().kind == errc::unauthorized);
  CHECK(expired.err().message.find("expired") != std::string::npos);
  auto future = verify_stream_id(secret, "sales", sign_stream_id(secret, "sales", turn, now + 3600), now, 60);
  REQUIRE_FALSE(future.ok());
  CHECK(future.err().kind == errc::unauthorized);
}

TEST_CASE("stream_token: malformed ids are bad_request", "[stream_token]") {
  std::string good = sign_stream_id(secret, "sales", turn, now + 60);
  for (std::string bad : {std::string(""), std::string("abc"), std::string("a.b.c"), good + "x",
                          "not-a-uuid-0000-7000-8000-000000000001" + good.substr(36),
                          std::string(turn) + ".12x4." + good.substr(good.rfind('.') + 1),
                          std::string(turn) + ".1234567890123." + good.substr(good.rfind('.') + 1)}) {
    INFO(bad);
    auto v = verify_stream_id(secret, "sales", bad, now, 60);
    REQUIRE_FALSE(v.ok());
    CHECK(v.err().kind == errc::bad_request);
  }
}
