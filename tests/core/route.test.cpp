#include <catch2/catch_test_macros.hpp>

#include "salient/http/route.h"

using namespace salient;

TEST_CASE("route: agent paths split into agent and rest", "[route]") {
  auto r = parse_agent_path("/a/sales/chat");
  REQUIRE(r);
  CHECK(r->agent == "sales");
  CHECK(r->rest == "/chat");
  CHECK(parse_agent_path("/a/sales")->rest == "");
  CHECK(parse_agent_path("/a/sales/")->rest == "/");
  CHECK(parse_agent_path("/a/sales/events/stream")->rest == "/events/stream");
  CHECK(parse_agent_path("/a/s%61les/")->agent == "sales");
}

TEST_CASE("route: other paths and bad agent segments are not agent paths", "[route]") {
  for (const char* p : {"/", "/a", "/a/", "/b/sales/", "/a/Sales/", "/a/sa les/", "/a/%2e%2e/",
                        "/a/0123456789012345678901234567890123/", "/a/%zz/"})
    CHECK_FALSE(parse_agent_path(p));
}
