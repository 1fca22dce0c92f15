// Every template renders every slot: no "{{" survives, and each value lands escaped.
#include <catch2/catch_test_macros.hpp>

#include "salient/pages.h"

using namespace salient;

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
