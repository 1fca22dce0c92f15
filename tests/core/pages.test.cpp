// Every template renders every slot: no "{{" survives, and each value lands escaped.
#include <catch2/catch_test_macros.hpp>

#include "core/json.h"
#include "salient/render/pages.h"

using namespace salient;
using json = detail::json;

namespace {
config shop() {
  auto c = parse_config(R"({"app":{"name":"A&B <Shop>"},"chat":{"max_message_chars":123,"input":{"submit_shortcut":"enter"}}})");
  REQUIRE(c.ok());
  return *c;
}
}  // namespace

TEST_CASE("pages: the chat page fills every slot", "[pages]") {
  config c = shop();
  std::string html = render_chat_page(c, *c.find_enabled_agent("sales"));
  CHECK(html.find("{{") == std::string::npos);
  CHECK(html.find("<title>Sales assistant · A&amp;B &lt;Shop&gt;</title>") != std::string::npos);
  CHECK(html.find(R"(maxlength="123")") != std::string::npos);
  CHECK(html.find(R"(data-submit-shortcut="enter")") != std::string::npos);
  CHECK(html.find("Enter to send · Shift+Enter for a new line") != std::string::npos);
}

TEST_CASE("pages: the chat partial fills every slot and adds the session key only when made up", "[pages]") {
  std::string with = render_chat_partial({"<hi>", "/a/sales/events/stream?stream_id=x&y", "key-123"});
  CHECK(with.find("{{") == std::string::npos);
  CHECK(with.find("&lt;hi&gt;") != std::string::npos);
  CHECK(with.find(R"(sse-connect="/a/sales/events/stream?stream_id=x&amp;y")") != std::string::npos);
  CHECK(with.find(R"(value="key-123" hx-swap-oob="true")") != std::string::npos);
  std::string without = render_chat_partial({"hi", "/s", ""});
  CHECK(without.find("hx-swap-oob") == std::string::npos);
}

TEST_CASE("pages: error pages and fragments fill every slot", "[pages]") {
  error e = make_error(errc::payload_too_large, "too <big>");
  std::string page = render_error_page(e);
  CHECK(page.find("{{") == std::string::npos);
  CHECK(page.find("<title>413 Too large</title>") != std::string::npos);
  CHECK(page.find("too &lt;big&gt;") != std::string::npos);
  std::string fragment = render_error_fragment(e);
  CHECK(fragment.find("{{") == std::string::npos);
  CHECK(fragment.find(R"(data-code="payload_too_large")") != std::string::npos);
}

TEST_CASE("pages: history renders bubbles in order, escaped, with a note for an unanswered message", "[pages]") {
  std::vector<stored_message> m{{"1", "user", "<b>hi</b>", "t", "", "", ""},
                                {"2", "assistant", "Hello & welcome", "t", "offline", "", ""},
                                {"3", "user", "still there?", "t", "", "", ""},
                                {"4", "user", "hello?", "t", "", "", ""},
                                {"5", "assistant", "Yes", "t", "", "", ""}};
  std::string html = render_history(m);
  CHECK(html.find("{{") == std::string::npos);
  CHECK(html.find(R"(<div class="msg user" data-message-id="1" data-created-at="t"><div class="text">&lt;b&gt;hi&lt;/b&gt;</div></div>)") !=
        std::string::npos);
  CHECK(html.find(R"(<span class="label"><span class="badge offline")") != std::string::npos);
  CHECK(html.find("Hello &amp; welcome") != std::string::npos);
  CHECK(html.find(R"(data-message-id="5" data-created-at="t"><span class="label"></span>)") != std::string::npos);
  // "still there?" got no answer before "hello?": exactly one note, between them.
  auto note = html.find("No answer was saved");
  CHECK(note > html.find("still there?"));
  CHECK(note < html.find("hello?"));
  CHECK(html.find("No answer was saved", note + 1) == std::string::npos);
  CHECK(render_history({}).empty());
  CHECK(render_history({{"9", "user", "last", "t", "", "", ""}}).find("No answer was saved") != std::string::npos);
}

TEST_CASE("pages: a stored answer's sources come back with it, re-checked and escaped", "[pages]") {
  // As the stream stored them (citations_json), plus what an edited row could hold.
  std::string cites = R"json([{"n":1,"title":"Prices","heading":"Patios","url":"/prices#patios","source":"prices.md","score":0.9,"rank":1,"snippet":"From 95 euros"},
    {"n":2,"title":"<script>alert(1)</script>","url":"javascript:alert(1)","rank":2},
    {"n":"3","title":"not a number"},
    {"n":4,"title":["wrong type"],"url":"https://example.com/x?a=1&b=2","rank":3}])json";
  std::string html = render_history({{"1", "user", "patio?", "t", "", "", ""}, {"2", "assistant", "From 95 euros [1].", "t", "", cites, ""}});
  CHECK(html.find(R"(<div class="sources-slot"><ol class="sources" aria-label="Sources"><li value="1" data-n="1"><a href="/prices#patios")") !=
        std::string::npos);
  CHECK(html.find("score 0.90") != std::string::npos);
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("javascript:") == std::string::npos);
  CHECK(html.find("not a number") == std::string::npos);
  CHECK(html.find(R"(href="https://example.com/x?a=1&amp;b=2")") != std::string::npos);
  // No citations: an empty slot, no list.
  CHECK(render_history({{"3", "assistant", "Hi", "t", "", "", ""}}).find("<ol") == std::string::npos);
}

TEST_CASE("pages: the session list carries keys and escaped titles, or says there is none", "[pages]") {
  std::string html = render_session_list({{"key-00001", "<script>x</script>", "c", "2026-11-22T15:04:05.5+00:00", 1},
                                          {"key-00002", "", "c", "2026-11-22T16:00:00Z", 4}});
  CHECK(html.find("{{") == std::string::npos);
  CHECK(html.find(R"(data-session-key="key-00001")") != std::string::npos);
  CHECK(html.find("&lt;script&gt;") != std::string::npos);
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find(R"(<time datetime="2026-11-22T15:04:05.5+00:00">2026-11-22 15:04 UTC</time>)") != std::string::npos);
  CHECK(html.find("1 message<") != std::string::npos);
  CHECK(html.find("4 messages") != std::string::npos);
  CHECK(html.find("(no messages)") != std::string::npos);
  CHECK(render_session_list({}).find("No earlier chats") != std::string::npos);
}

TEST_CASE("pages: display_time shortens ISO timestamps and keeps non-UTC offsets", "[pages]") {
  CHECK(display_time("2026-11-22T15:04:05.123456+00:00") == "2026-11-22 15:04 UTC");
  CHECK(display_time("2026-11-22T15:04:05.123Z") == "2026-11-22 15:04 UTC");
  CHECK(display_time("2026-11-22 15:04:05+00") == "2026-11-22 15:04 UTC");
  CHECK(display_time("2026-11-22T15:04:05+01:00") == "2026-11-22 15:04 +01:00");
  CHECK(display_time("yesterday") == "yesterday");
}

TEST_CASE("pages: the chat page has the session bar and no Clear button", "[pages]") {
  config c = shop();
  std::string html = render_chat_page(c, *c.find_enabled_agent("sales"));
  CHECK(html.find(R"(<button id="new-chat" type="button" class="btn" data-variant="outline" data-size="sm">New chat</button>)") !=
        std::string::npos);
  CHECK(html.find(R"(<details id="sessions">)") != std::string::npos);
  CHECK(html.find(R"(id="session-list")") != std::string::npos);
  CHECK(html.find(R"(id="clear")") == std::string::npos);
}
