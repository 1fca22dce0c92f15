#include <catch2/catch_test_macros.hpp>

#include "salient/http/sse.h"

using namespace salient;

TEST_CASE("sse: an event has id, event type and data, then a blank line", "[sse]") {
  CHECK(sse_event("token", "7", "hello") == "id: 7\nevent: token\ndata: hello\n\n");
}

TEST_CASE("sse: data is split into data lines at LF, CR and CRLF", "[sse]") {
  CHECK(sse_event("t", "1", "a\nb\r\nc\rd") == "id: 1\nevent: t\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
  CHECK(sse_event("t", "1", "") == "id: 1\nevent: t\ndata: \n\n");
  CHECK(sse_event("t", "1", "end\n") == "id: 1\nevent: t\ndata: end\ndata: \n\n");
}

TEST_CASE("sse: newlines in id or event cannot start a new field", "[sse]") {
  CHECK(sse_event("a\nevent: evil", "1\r\nretry: 0", "x") == "id: 1retry: 0\nevent: aevent: evil\ndata: x\n\n");
}
