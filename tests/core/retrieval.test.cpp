// Grounded answers from the local index: the sources in the prompt, citations checked
// against what was retrieved, the `citations` event and metadata, and the offline excerpts.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "fake_host.h"
#include "flows/retrieval.h"
#include "salient/flows/flows.h"
#include "salient/knowledge/knowledge.h"
#include "salient/http/stream_token.h"

using namespace salient;
using namespace salient::testing;

namespace {

json test_config(json rag = json::object()) {
  json c = {{"app", {{"name", "Brightleaf Gardens"}}}, {"llm", {{"model", "test/model"}, {"retries", 0}}}};
  if (!rag.empty()) c["rag"] = rag;
  return c;
}

std::string index_bytes() {
  return build_knowledge_index({
      {"pricing.md", "Prices and quotes", "Deposits", "/pricing#deposits",
       "We ask for a 25% deposit when you accept a quote. The balance is due on completion of the work."},
      {"services/lawns.md", "Lawn care", "New lawns", "/services/lawns#new-lawns",
       "New lawns are laid from turf or sown from seed in spring and autumn."},
      {"evil.md", "Evil <b>page</b>", "Evil <b>page</b> › Refunds", "javascript:alert(1)",
       "The deposit <script>alert(1)</script> is refundable."},
  });
}

std::string claimed(std::string message) {
  return json{{"status", "claimed"}, {"message", message}, {"session_id", "s-1"}, {"agent", "sales"},
              {"history", json::array()}, {"persona", nullptr}, {"profile", nullptr}}
      .dump();
}

std::string chunk(std::string_view text) {
  json c = {{"id", "gen-1"}, {"choices", {{{"index", 0}, {"delta", {{"content", text}}}, {"finish_reason", nullptr}}}}};
  return "data: " + c.dump() + "\n\n";
}

std::vector<sse_event_record> events_named(const std::string& body, std::string_view name) {
  std::vector<sse_event_record> out;
  for (auto& e : parse_sse(body))
    if (e.event == name) out.push_back(e);
  return out;
}

}  // namespace

TEST_CASE("retrieval: cited numbers are read from the answer, unknown ones dropped", "[rag]") {
  CHECK(cited_numbers("Yes [1]. Also [3] and [2, 1] and [9].", 3) == std::vector<int>{1, 3, 2});
  CHECK(cited_numbers("[2][1] [x] [ 1 ] [1,", 2) == std::vector<int>{2, 1});
  CHECK(cited_numbers("no citations here", 3).empty());
  CHECK(cited_numbers("[0] [4] [12345]", 3).empty());
}

TEST_CASE("retrieval: snippets are cut at a word, never inside a character", "[rag]") {
  CHECK(snippet_of("short text") == "short text");
  std::string s = snippet_of(std::string(50, 'a') + " " + std::string(30, 'b') + " ééééééééé", 70);
  CHECK(s == std::string(50, 'a') + "…");
  std::string e = snippet_of(std::string(20, 'x') + "ééééééééééééééééééééééééé", 25);  // no space to cut at
  CHECK(e.size() <= 25 + 3);
  CHECK(e.substr(e.size() - 3) == "…");
  CHECK(e.find('\xC3', e.size() - 4) == std::string::npos);  // no lone lead byte before the ellipsis
}

TEST_CASE("retrieval: the model gets numbered sources and the answer's citations are checked", "[rag]") {
  fake_host host(stream_flow, test_config(), llm_test_env());
  host.load_knowledge(index_bytes());
  auto log = host.start(fake_host::head("GET", signed_stream_url()));
  host.reply(log, 1, 200, claimed("how much is the deposit?"));
  REQUIRE(log.effects.size() == 2);
  json body = json::parse(log.effects[1]["body"].get<std::string>());
  std::string prompt = body["messages"][0]["content"];
  CHECK(prompt.find("[1] Prices and quotes — Deposits\nWe ask for a 25% deposit") != std::string::npos);
  CHECK(prompt.find("never invent prices") != std::string::npos);
  CHECK(prompt.find("Lawn care") == std::string::npos);  // no shared term: not a source

  host.feed_head(log, 2, 200, {{"content-type", "text/event-stream"}});
  host.feed_chunk(log, 2, chunk("It is 25% [1]") + chunk(", refundable [2] [7].") + "data: [DONE]\n\n");
  auto cites = events_named(log.body, "citations");
  REQUIRE(cites.size() == 1);
  json list = json::parse(cites[0].data)["citations"];
  // [7] names nothing retrieved: dropped. The evil page's javascript: URL is not passed on.
  REQUIRE(list.size() == 2);
  CHECK(list[0]["n"] == 1);
  CHECK(list[0]["title"] == "Prices and quotes");
  CHECK(list[0]["url"] == "/pricing#deposits");
  CHECK(list[0]["source"] == "pricing.md");
  CHECK(list[0]["rank"] == 1);
  CHECK(list[0]["score"].get<double>() > 0);
  CHECK(list[1]["url"] == "");
  CHECK(list[1]["heading"] == "Refunds");  // the title is not repeated at the head of the path
  json args = finish_args(log);
  CHECK(args["p_metadata"]["citations"] == list);
  CHECK(args["p_metadata"]["retrieval"] == json{{"mode", "local"}, {"passages", 2}});
  // The citations come after the last token and before done.
  host.reply(log, log.last_effect()["id"], 200, R"({"message_id":"m"})");
  std::vector<std::string> names;
  for (auto& e : parse_sse(log.body)) names.push_back(e.event);
  CHECK(names.back() == "done");
  CHECK(names[names.size() - 2] == "citations");
}

TEST_CASE("retrieval: the html sources list escapes everything and links only safe URLs", "[rag]") {
  fake_host host(stream_flow, test_config(), llm_test_env());
  host.load_knowledge(index_bytes());
  auto log = host.start(fake_host::head("GET", signed_stream_url(false)));
  host.reply(log, 1, 200, claimed("deposit refundable?"));
  host.feed_head(log, 2, 200, {{"content-type", "text/event-stream"}});
  host.feed_chunk(log, 2, chunk("Yes [1][2].") + "data: [DONE]\n\n");
  auto cites = events_named(log.body, "citations");
  REQUIRE(cites.size() == 1);
  const std::string& html = cites[0].data;
  CHECK(html.find("<ol class=\"sources\"") == 0);
  CHECK(html.find("href=\"/pricing#deposits\" target=\"_blank\" rel=\"noopener noreferrer\"") != std::string::npos);
  CHECK(html.find("javascript:") == std::string::npos);
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("<b>") == std::string::npos);
  CHECK(html.find("Evil &lt;b&gt;page&lt;/b&gt;") != std::string::npos);
}

TEST_CASE("retrieval: offline, the answer quotes the best passages with citations, labelled", "[rag]") {
  fake_host host(stream_flow, test_config());  // no LLM key
  host.load_knowledge(index_bytes());
  auto log = host.start(fake_host::head("GET", signed_stream_url()));
  host.reply(log, 1, 200, claimed("what deposit do you take"));
  auto meta = json::parse(events_named(log.body, "meta").at(0).data);
  CHECK(meta["mode"] == "offline");
  CHECK(meta["excerpts"] == true);
  CHECK(meta["label"] == "Offline answer: excerpts from our pages");
  std::string text;
  for (auto& e : events_named(log.body, "token")) text += json::parse(e.data)["text"].get<std::string>();
  CHECK(text.find("excerpts from our pages") != std::string::npos);
  CHECK(text.find("We ask for a 25% deposit") != std::string::npos);
  CHECK(text.find("[1]") != std::string::npos);
  auto list = json::parse(events_named(log.body, "citations").at(0).data)["citations"];
  CHECK(list.at(0)["title"] == "Prices and quotes");
  json args = finish_args(log);
  CHECK(args["p_content"] == text);
  CHECK(args["p_metadata"]["excerpts"] == true);
  CHECK(args["p_metadata"]["citations"] == list);
}

TEST_CASE("retrieval: a greeting offline gets the canned answer; rag.enabled false retrieves nothing", "[rag]") {
  {
    fake_host host(stream_flow, test_config());
    host.load_knowledge(index_bytes());
    auto log = host.start(fake_host::head("GET", signed_stream_url()));
    host.reply(log, 1, 200, claimed("hello"));
    CHECK_FALSE(json::parse(events_named(log.body, "meta").at(0).data).contains("excerpts"));
    CHECK(events_named(log.body, "citations").empty());
  }
  {
    fake_host host(stream_flow, test_config({{"enabled", false}}), llm_test_env());
    host.load_knowledge(index_bytes());
    auto log = host.start(fake_host::head("GET", signed_stream_url()));
    host.reply(log, 1, 200, claimed("how much is the deposit?"));
    json body = json::parse(log.effects.at(1)["body"].get<std::string>());
    CHECK(body["messages"][0]["content"].get<std::string>().find("Sources:") == std::string::npos);
  }
  {
    // rag=off on the stream URL (the side-by-side page's second answer): none either.
    fake_host host(stream_flow, test_config(), llm_test_env());
    host.load_knowledge(index_bytes());
    auto log = host.start(fake_host::head("GET", signed_stream_url() + "&rag=off"));
    host.reply(log, 1, 200, claimed("how much is the deposit?"));
    json body = json::parse(log.effects.at(1)["body"].get<std::string>());
    CHECK(body["messages"][0]["content"].get<std::string>().find("Sources:") == std::string::npos);
  }
  {
    // No index loaded: no sources, no change to the prompt.
    fake_host host(stream_flow, test_config(), llm_test_env());
    auto log = host.start(fake_host::head("GET", signed_stream_url()));
    host.reply(log, 1, 200, claimed("how much is the deposit?"));
    json body = json::parse(log.effects.at(1)["body"].get<std::string>());
    CHECK(body["messages"][0]["content"].get<std::string>().find("Sources:") == std::string::npos);
  }
}

TEST_CASE("retrieval: the side-by-side page is served by the chat function", "[rag]") {
  fake_host host(chat_flow, test_config());
  auto log = host.start(fake_host::head("GET", "/a/sales/compare"));
  CHECK(log.status == 200);
  CHECK(log.body.find("/assets/compare.js") != std::string::npos);
  CHECK(log.body.find("id=\"pane-with\"") != std::string::npos);
  CHECK(log.body.find("id=\"pane-without\"") != std::string::npos);
  auto post = host.start(fake_host::head("POST", "/a/sales/compare"));
  CHECK(post.status == 405);
}
