#include <catch2/catch_test_macros.hpp>

#include "salient/render/html.h"

using namespace salient;

TEST_CASE("html: escape_html escapes the five significant characters", "[html]") {
  CHECK(escape_html(R"(<a href="x" onclick='y'>&</a>)") == "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  CHECK(escape_html("plain é") == "plain é");
}

TEST_CASE("html: render escapes double-brace slots and inserts triple-brace fragments raw", "[html]") {
  CHECK(render("<p>{{text}}</p>{{{frag}}}", {{"text", "<b>"}, {"frag", "<i>ok</i>"}}) == "<p>&lt;b&gt;</p><i>ok</i>");
}

TEST_CASE("html: render leaves unknown slots empty and unclosed braces literal", "[html]") {
  CHECK(render("a{{missing}}b", {}) == "ab");
  CHECK(render("a{{ b", {}) == "a{{ b");
  CHECK(render("{{x}}{{x}}", {{"x", "1"}}) == "11");
}
