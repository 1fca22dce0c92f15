#include <catch2/catch_test_macros.hpp>
#include <sodium.h>

#include "salient/core/entropy.h"

using namespace salient;

TEST_CASE("entropy: uuid_v7 is canonical, versioned and time-ordered", "[entropy]") {
  REQUIRE(sodium_init() >= 0);
  entropy rng;
  std::string a = uuid_v7(1763800000000, rng), b = uuid_v7(1763800000001, rng);
  CHECK(is_uuid(a));
  CHECK(a[14] == '7');                                    // version
  CHECK(std::string("89ab").find(a[19]) != std::string::npos);  // variant 10xx
  CHECK(a.substr(0, 13) == "019aaaac-2600");              // 48-bit big-endian milliseconds
  CHECK(a < b);
  CHECK(uuid_v7(1, rng) != uuid_v7(1, rng));
}

TEST_CASE("entropy: a seed makes the stream reproducible", "[entropy]") {
  std::string seed(32, '\x05');
  entropy x(seed), y(seed), z(std::string(32, '\x06'));
  CHECK(uuid_v7(1, x) == uuid_v7(1, y));
  CHECK(uuid_v7(1, x) == uuid_v7(1, y));  // and stays in step
  entropy w(seed);
  CHECK(uuid_v7(1, w) != uuid_v7(1, z));
  std::uint8_t big[3000];
  x.fill(big);  // past the first pool refill
  y.fill(big);
  CHECK(uuid_v7(1, x) == uuid_v7(1, y));
}

TEST_CASE("entropy: is_uuid rejects near misses", "[entropy]") {
  CHECK(is_uuid("019A9B4E-0000-7000-8000-000000000001"));
  CHECK_FALSE(is_uuid("019a9b4e-0000-7000-8000-00000000000"));
  CHECK_FALSE(is_uuid("019a9b4e00000-7000-8000-000000000001"));
  CHECK_FALSE(is_uuid("019a9b4g-0000-7000-8000-000000000001"));
}
