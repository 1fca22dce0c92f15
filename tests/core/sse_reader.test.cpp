// The upstream SSE reader on OpenRouter-shaped streams cut into every possible pair of pieces.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

#include "salient/upstream/openrouter/sse_reader.h"

using namespace salient;

namespace {

struct seen {
  std::string type, data, id;
  bool operator==(const seen&) const = default;
};

std::vector<seen> read_all(const std::vector<std::string_view>& pieces, sse_reader& r) {
  std::vector<seen> out;
  for (auto p : pieces)
    r.feed(p, [&](const sse_reader::event& e) {
      out.push_back({std::string(e.type), std::string(e.data), std::string(e.id)});
      return true;
    });
  return out;
}

std::vector<seen> read_all(std::string_view whole) {
  sse_reader r;
  return read_all({whole}, r);
}

}  // namespace

TEST_CASE("sse_reader: comments, multi-line data, event types, ids and line endings", "[relay]") {
  auto events = read_all(
      ": OPENROUTER PROCESSING\n\n"
      "data: {\"a\":1}\n\n"
      "event: error\r\ndata: line one\r\ndata:line two\r\nid: 7\r\n\r\n"
      "data\rdata: x\r\r"
      "retry: 10\nunknown: y\n\n"     // no data: nothing dispatched
      "data: [DONE]\n\n");
  REQUIRE(events.size() == 4);
  CHECK(events[0] == seen{"", "{\"a\":1}", ""});
  CHECK(events[1] == seen{"error", "line one\nline two", "7"});
  CHECK(events[2] == seen{"", "\nx", "7"});  // a bare `data` line is an empty data line; the id persists
  CHECK(events[3] == seen{"", "[DONE]", "7"});
}

TEST_CASE("sse_reader: the same stream split at every pair of points reads the same", "[relay]") {
  std::string stream =
      "\xEF\xBB\xBF: OPENROUTER PROCESSING\r\n\r\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\"}}]}\r\n\r\n"
      "event: x\ndata: a\ndata: b\n\n"
      "data\ndata: after an empty one\n\n"  // `data` without a colon: an empty data line
      "data: [DONE]\r\r";
  auto expected = read_all(stream);
  REQUIRE(expected.size() == 4);
  CHECK(expected[2].data == "\nafter an empty one");
  CHECK(expected[0].data == "{\"choices\":[{\"delta\":{\"content\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\"}}]}");
  std::string_view s = stream;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    for (std::size_t j = i; j <= s.size(); ++j) {
      sse_reader r;
      auto got = read_all({s.substr(0, i), s.substr(i, j - i), s.substr(j)}, r);
      INFO("split at " << i << ", " << j);
      REQUIRE(got == expected);
      CHECK_FALSE(r.mid_event());
    }
  }
}

TEST_CASE("sse_reader: a stream cut inside an event says so and dispatches nothing of it", "[relay]") {
  sse_reader r;
  auto events = read_all({"data: one\n\ndata: tw"}, r);
  CHECK(events.size() == 1);
  CHECK(r.mid_event());
  sse_reader r2;
  read_all({"data: one\n\ndata: two\n"}, r2);
  CHECK(r2.mid_event());  // no blank line yet
}

TEST_CASE("sse_reader: the callback can stop reading", "[relay]") {
  sse_reader r;
  int calls = 0;
  r.feed("data: 1\n\ndata: 2\n\n", [&](const sse_reader::event&) { return ++calls < 1; });
  CHECK(calls == 1);
}

TEST_CASE("sse_reader: an endless line is refused, not buffered without bound", "[relay]") {
  sse_reader r;
  std::string chunk(64 * 1024, 'x');
  int calls = 0;
  for (int i = 0; i < 20 && !r.overflowed(); ++i) r.feed(chunk, [&](const sse_reader::event&) { return ++calls > 0; });
  CHECK(r.overflowed());
  CHECK(calls == 0);
}
