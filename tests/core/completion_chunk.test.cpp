// The relay's chunk scanner against hand-made OpenRouter chunks: content, escapes, surrogate
// pairs, the chunks it hands to the DOM parser, and malformed ones.
#include <catch2/catch_test_macros.hpp>

#include "salient/upstream/openrouter/completion_chunk.h"

using namespace salient;

namespace {
std::string scan(std::string_view data, chunk_kind expect) {
  std::string text = "<";
  chunk_kind k = scan_completion_chunk(data, text);
  INFO(data);
  CHECK(k == expect);
  return text.substr(1);
}
}  // namespace

TEST_CASE("completion_chunk: an OpenRouter delta chunk yields its content", "[relay]") {
  CHECK(scan(R"({"id":"gen-1","provider":"OpenAI","model":"openai/gpt-4o","object":"chat.completion.chunk","created":1731000000,"choices":[{"index":0,"delta":{"role":"assistant","content":" the"},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]})",
             chunk_kind::delta) == " the");
  CHECK(scan(R"({"choices":[{"delta":{"role":"assistant","content":""}}]})", chunk_kind::delta).empty());
  CHECK(scan(R"({"choices":[{"delta":{"role":"assistant"}}]})", chunk_kind::delta).empty());
  CHECK(scan(R"({"choices":[{"delta":{"content":null}}]})", chunk_kind::delta).empty());
  CHECK(scan(R"({"choices":[]})", chunk_kind::delta).empty());
  CHECK(scan(R"( { "choices" : [ { "delta" : { "content" : "a" } } , {"delta":{"content":"other choice"}} ] } )",
             chunk_kind::delta) == "a");
  // Keys in any order; nested objects and strings holding brackets and quotes are skipped whole.
  CHECK(scan(R"({"x":{"content":"no","y":[1,{"z":"]}\""}]},"choices":[{"logprobs":{"content":[{"t":"no"}]},"delta":{"tool_calls":[],"content":"yes"}}]})",
             chunk_kind::delta) == "yes");
}

TEST_CASE("completion_chunk: escapes, \\u escapes and surrogate pairs are decoded exactly", "[relay]") {
  CHECK(scan(R"({"choices":[{"delta":{"content":"a\"b\\c\/d\n\t\r\b\f"}}]})", chunk_kind::delta) ==
        "a\"b\\c/d\n\t\r\b\f");
  CHECK(scan(R"({"choices":[{"delta":{"content":"\u00e9\u20AC\ud83d\ude00 \u003cb\u003e"}}]})", chunk_kind::delta) ==
        "é€😀 <b>");
  CHECK(scan(R"({"choices":[{"delta":{"content":"naïve café 日本"}}]})", chunk_kind::delta) == "naïve café 日本");
}

TEST_CASE("completion_chunk: errors, usage and finish reasons go to the DOM parser; [DONE] is done", "[relay]") {
  CHECK(scan(R"({"error":{"code":502,"message":"Provider disconnected"},"choices":[{"delta":{"content":""},"finish_reason":"error"}]})",
             chunk_kind::needs_dom).empty());
  CHECK(scan(R"({"choices":[{"delta":{"content":"."},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":3,"total_tokens":13,"cost":0.0001}})",
             chunk_kind::needs_dom).empty());
  CHECK(scan(R"({"choices":[{"delta":{"content":"end"},"finish_reason":"length"}]})", chunk_kind::needs_dom).empty());
  CHECK(scan(R"({"choices":[{"delta":{"content":"a","content":"b"}}]})", chunk_kind::needs_dom).empty());
  // A repeated key whose first value has the wrong type: the last one may still be good.
  CHECK(scan(R"({"choices":5,"choices":[{"delta":{"content":"b"}}]})", chunk_kind::needs_dom).empty());
  CHECK(scan(R"({"choices":[{"delta":"a","delta":{"content":"b"}}]})", chunk_kind::needs_dom).empty());
  CHECK(scan(R"({"choices":[{"delta":{"content":1,"content":"b"}}]})", chunk_kind::needs_dom).empty());
  CHECK(scan(R"({"usage":null,"error":null,"choices":[{"delta":{"content":"x"}}]})", chunk_kind::delta) == "x");
  CHECK(scan("[DONE]", chunk_kind::done).empty());
  CHECK(scan(" [DONE]\r", chunk_kind::done).empty());
}

TEST_CASE("completion_chunk: malformed chunks change nothing", "[relay]") {
  for (std::string_view bad : {
           "", "{", "}", "[]", "\"x\"", "{\"choices\":[{\"delta\":{\"content\":\"abc}}]}",
           R"({"choices":[{"delta":{"content":"\ud83d"}}]})",          // lone high surrogate
           R"({"choices":[{"delta":{"content":"\ude00"}}]})",          // lone low surrogate
           R"({"choices":[{"delta":{"content":"\u12"}}]})",            // short escape
           R"({"choices":[{"delta":{"content":"\q"}}]})",              // unknown escape
           "{\"choices\":[{\"delta\":{\"content\":\"a\x01\"}}]}",      // raw control character
           "{\"choices\":[{\"delta\":{\"content\":\"\xC3\"}}]}",       // truncated UTF-8
           R"({"choices":[{"delta":{"content":5}}]})",
           R"({"choices":5})",
           R"({"choices":[{"delta":[]}]})",
           R"({"choices":[{"delta":{"content":"a"}}]} trailing)",
           R"({"choices":[{"delta":{"content":"a"}}],})",
           R"({"a":,"choices":[]})",
       }) {
    scan(bad, chunk_kind::malformed);
  }
}

TEST_CASE("completion_chunk: the stream scanner reads a repeated layout's content alone, with the same results", "[relay]") {
  auto chunk = [](std::string_view content, std::string_view finish = "null") {
    return std::string(R"({"id":"gen-7","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":)") +
           std::string(content) + R"(},"finish_reason":)" + std::string(finish) + "}]}";
  };
  completion_scanner scanner;
  // Each case against the stateless scan: same kind, same text (the scanner has seen the
  // layout from the first chunk on, so every later one takes the shortcut or falls back).
  auto same = [&](const std::string& data, chunk_kind expect) {
    std::string a = "<", b = "<";
    INFO(data);
    CHECK(scanner.scan(data, a) == expect);
    CHECK(scan_completion_chunk(data, b) == expect);
    CHECK(a == b);
    return a.substr(1);
  };
  CHECK(same(chunk(R"("Hello")"), chunk_kind::delta) == "Hello");
  CHECK(same(chunk(R"(" wor\"ld \u00e9\ud83d\ude00")"), chunk_kind::delta) == " wor\"ld é😀");
  CHECK(same(chunk(R"("")"), chunk_kind::delta).empty());
  // Content that tries to end the string early and add keys is one string, or not the layout.
  CHECK(same(chunk(R"("a","content":"b")"), chunk_kind::needs_dom).empty());
  CHECK(same(chunk(R"("a"},"usage":{"x":1},"z":{"q":"b")"), chunk_kind::delta) == "a");  // usage inside the choice
  // The same prefix and suffix around bad content: malformed, as the full scan says.
  same(chunk("\"a\x01\""), chunk_kind::malformed);
  same(chunk(R"("\ud83d")"), chunk_kind::malformed);
  same(chunk("\"\xC3\""), chunk_kind::malformed);
  same(chunk(R"(5)"), chunk_kind::malformed);
  // Null content after the remembered prefix: not a string, so the full scan answers.
  CHECK(same(chunk("null"), chunk_kind::delta).empty());
  // A different suffix (a finish reason) is not the remembered layout.
  CHECK(same(chunk(R"(".")", R"("stop")"), chunk_kind::needs_dom).empty());
  // A new layout is learned and used.
  std::string other = R"({"choices":[{"delta":{"content":"x"}}],"id":"gen-8"})";
  CHECK(same(other, chunk_kind::delta) == "x");
  CHECK(same(R"({"choices":[{"delta":{"content":"yz"}}],"id":"gen-8"})", chunk_kind::delta) == "yz");
  CHECK(same("[DONE]", chunk_kind::done).empty());
}
