// Pinecone retrieval: the requests and their parsing (pinecone_search.h), and the chat
// and stream functions with Pinecone configured, driven by the scripted fake host — every fault
// of the embeddings and Pinecone calls ends in a stored turn, a 200 and, when retrieval failed,
// the local index with a note.
#include <catch2/catch_test_macros.hpp>

#include "fake_host.h"
#include "flows/pinecone_retrieval.h"
#include "upstream/pinecone/pinecone_search.h"
#include "salient/flows/flows.h"

using namespace salient;
using namespace salient::testing;

namespace {

const char* begun = R"({"turn_id":"019a9b4e-0000-7000-8000-000000000001","session_id":"019a9b4e-0000-7000-8000-0000000000aa","duplicate":false})";
const char* embedding = R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25,-0.5,0.125]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":5,"total_tokens":5}})";
const char* matches = R"({"results":[],"matches":[
  {"id":"prices.md#0","score":0.91,"values":[],"metadata":{"text":"A patio starts at 4,000 euros.","title":"Prices","heading":"Patios","url":"/prices#patios","source":"prices.md"}},
  {"id":"blank#0","score":0.5,"values":[],"metadata":{"title":"No text"}},
  {"id":"about.md#1","score":0.42,"values":[],"metadata":{"text":"We are a family business.","title":"About"}}],
  "namespace":"default","usage":{"readUnits":5}})";

json pinecone_config(json pinecone = json::object(), json embeddings = json::object()) {
  json pc = {{"index_name", "brightleaf-kb"}, {"host", "http://pinecone.test"}};
  if (pinecone.is_object()) pc.update(pinecone);
  return {{"vector", {{"pinecone", pc}}}, {"embeddings", embeddings.is_object() ? embeddings : json::object()}};
}

json pinecone_env(json extra = json::object()) {
  json env = fake_host::default_env();
  env.update({{"PINECONE_API_KEY", "pc-test-key"}, {"OPENAI_API_KEY", "sk-openai-test"},
              {"OPENAI_BASE_URL", "http://embed.test/v1"}, {"PINECONE_API_URL", "http://api.pinecone.test"}});
  env.update(extra);
  return env;
}

config parsed(const json& cfg) {
  auto c = parse_config(cfg.dump());
  REQUIRE(c.ok());
  return *c;
}

environment env_of(const json& vars) {
  environment env;
  for (auto& [k, v] : vars.items()) env.set(k, v.get<std::string>());
  return env;
}

exchange_log post_question(fake_host& host, std::string question = "How much is a patio?") {
  return host.start(fake_host::head("POST", "/a/sales/chat", {{"content-type", "application/json"}, {"accept", "application/json"}}),
                    json{{"message", question}, {"session_key", "visitor-0001"}, {"idempotency_key", "idem-00001"}}.dump());
}

json body_of(const json& effect) { return json::parse(effect["body"].get<std::string>()); }

/// The retrieval document the chat function stored with the turn (its last effect before answering).
json attached(const exchange_log& log) {
  const json& e = log.last_effect();
  REQUIRE(e["url"] == "http://store.test/rest/v1/rpc/salient_attach_retrieval");
  json args = body_of(e);
  CHECK(args["p_tenant"] == "default");
  CHECK(args["p_turn_id"] == test_turn);
  return args["p_retrieval"];
}

}  // namespace

TEST_CASE("pinecone: used only with an index and a key; openai embeddings need OPENAI_API_KEY", "[pinecone]") {
  config none = parsed(json::object());
  CHECK_FALSE(pinecone_endpoint_from(none, env_of(pinecone_env()), "t", "sales")->has_value());
  config c = parsed(pinecone_config());
  CHECK_FALSE(pinecone_endpoint_from(c, env_of(fake_host::default_env()), "t", "sales")->has_value());
  auto missing = pinecone_endpoint_from(c, env_of(pinecone_env({{"OPENAI_API_KEY", ""}})), "t", "sales");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.err().kind == errc::misconfigured);
  CHECK(missing.err().message.find("OPENAI_API_KEY") != std::string::npos);
  // An integrated index embeds the text itself; Pinecone's /embed uses the Pinecone key.
  config integrated = parsed(pinecone_config({{"integrated", true}}));
  CHECK(pinecone_endpoint_from(integrated, env_of(pinecone_env({{"OPENAI_API_KEY", ""}})), "t", "sales")->has_value());
  config pine_embed = parsed(pinecone_config({}, {{"provider", "pinecone"}}));
  auto ep = pinecone_endpoint_from(pine_embed, env_of(pinecone_env({{"OPENAI_API_KEY", ""}})), "t", "sales");
  REQUIRE(ep.ok());
  REQUIRE(ep->has_value());
  CHECK((*ep)->embed_url == "http://api.pinecone.test/embed");
  CHECK((*ep)->embed_model == "llama-text-embed-v2");
  auto bad = pinecone_endpoint_from(c, env_of(pinecone_env({{"PINECONE_INDEX_HOST", "pinecone.test"}})), "t", "sales");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().message.find("PINECONE_INDEX_HOST") != std::string::npos);
}

TEST_CASE("pinecone: one namespace per tenant, or per tenant and agent", "[pinecone]") {
  CHECK(pinecone_namespace("brightleaf", "sales", false) == "brightleaf");
  CHECK(pinecone_namespace("brightleaf", "sales", true) == "brightleaf:sales");
  // ':' is in no tenant or agent code, so the split is unambiguous ('-' would not be).
  CHECK(pinecone_namespace("a-b", "c", true) != pinecone_namespace("a", "b-c", true));
  config c = parsed(pinecone_config({{"namespace_per_agent", true}}));
  auto ep = pinecone_endpoint_from(c, env_of(pinecone_env()), "acme", "support");
  REQUIRE(ep.ok());
  CHECK((*ep)->ns == "acme:support");
}

TEST_CASE("pinecone: the wire formats of embed, query, search and the index lookup", "[pinecone]") {
  config c = parsed(pinecone_config({}, {{"dimensions", 3}}));
  pinecone_endpoint ep = **pinecone_endpoint_from(c, env_of(pinecone_env()), "acme", "sales");

  outbound_request embed = embed_query_request(ep, "patio prices?");
  CHECK(embed.url == "http://embed.test/v1/embeddings");
  CHECK(find_header(embed.headers, "authorization") == "Bearer sk-openai-test");
  CHECK(json::parse(embed.body) == json{{"model", "text-embedding-3-small"}, {"input", "patio prices?"},
                                        {"encoding_format", "float"}, {"dimensions", 3}});
  CHECK(embed.timeout_ms == 3000);

  outbound_request query = query_request(ep, "http://pinecone.test", {0.25f, -0.5f, 1e-7f});
  CHECK(query.url == "http://pinecone.test/query");
  CHECK(find_header(query.headers, "api-key") == "pc-test-key");
  CHECK(find_header(query.headers, "x-pinecone-api-version") == "2025-10");
  json q = json::parse(query.body);
  CHECK(q == json{{"namespace", "acme"}, {"vector", {0.25, -0.5, 1e-7}}, {"topK", 4}, {"includeMetadata", true},
                  {"includeValues", false}});

  outbound_request search = search_request(ep, "http://pinecone.test", "patio prices?");
  CHECK(search.url == "http://pinecone.test/records/namespaces/acme/search");
  CHECK(json::parse(search.body) ==
        json{{"query", {{"inputs", {{"text", "patio prices?"}}}, {"top_k", 4}}},
             {"fields", {"text", "title", "heading", "url", "source"}}});
  pinecone_endpoint odd = ep;
  odd.ns = "acme:sales/x";
  CHECK(search_request(odd, "http://p", "q").url == "http://p/records/namespaces/acme%3Asales%2Fx/search");

  config pe = parsed(pinecone_config({}, {{"provider", "pinecone"}}));
  pinecone_endpoint pep = **pinecone_endpoint_from(pe, env_of(pinecone_env()), "acme", "sales");
  outbound_request pembed = embed_query_request(pep, "patio?");
  CHECK(find_header(pembed.headers, "api-key") == "pc-test-key");
  CHECK(json::parse(pembed.body) == json{{"model", "llama-text-embed-v2"},
                                         {"parameters", {{"input_type", "query"}, {"truncate", "END"}}},
                                         {"inputs", {{{"text", "patio?"}}}}});
  fetch_result pr{std::nullopt, {200, {}}, R"({"model":"llama-text-embed-v2","data":[{"values":[1,2],"vector_type":"dense"}],"usage":{"total_tokens":3}})"};
  CHECK(*parse_query_embedding(pep, pr) == std::vector<float>{1, 2});

  outbound_request describe = describe_index_request(ep);
  CHECK(describe.method == "GET");
  CHECK(describe.url == "http://api.pinecone.test/indexes/brightleaf-kb");
  CHECK(*parse_index_host({std::nullopt, {200, {}}, R"({"name":"x","host":"x-abc.svc.aped.pinecone.io"})"}) ==
        "https://x-abc.svc.aped.pinecone.io");
  CHECK(*parse_index_host({std::nullopt, {200, {}}, R"({"host":"http://127.0.0.1:9/"})"}) == "http://127.0.0.1:9");
  CHECK_FALSE(parse_index_host({std::nullopt, {200, {}}, R"({"host":"evil.test/path"})"}).ok());
  CHECK_FALSE(parse_index_host({std::nullopt, {200, {}}, R"({"name":"x"})"}).ok());
}

TEST_CASE("pinecone: matches and hits become numbered passages; ones without text are skipped", "[pinecone]") {
  config c = parsed(pinecone_config());
  pinecone_endpoint ep = **pinecone_endpoint_from(c, env_of(pinecone_env()), "acme", "sales");
  auto got = parse_passages(ep, {std::nullopt, {200, {}}, matches});
  REQUIRE(got.ok());
  REQUIRE(got->size() == 2);
  CHECK((*got)[0].n == 1);
  CHECK((*got)[0].title == "Prices");
  CHECK((*got)[0].heading == "Patios");
  CHECK((*got)[0].url == "/prices#patios");
  CHECK((*got)[0].path == "prices.md");
  CHECK((*got)[0].score > 0.9f);
  CHECK((*got)[1].n == 2);
  CHECK((*got)[1].text == "We are a family business.");

  auto hits = parse_passages(ep, {std::nullopt, {200, {}},
                                  R"({"result":{"hits":[{"_id":"a","_score":0.7,"fields":{"text":"Hedges trimmed.","title":"Care"}}]},"usage":{"read_units":1}})"});
  REQUIRE(hits.ok());
  REQUIRE(hits->size() == 1);
  CHECK((*hits)[0].title == "Care");
  CHECK((*hits)[0].score > 0.69f);
  CHECK_FALSE(parse_passages(ep, {std::nullopt, {200, {}}, R"({"oops":1})"}).ok());
  CHECK_FALSE(parse_passages(ep, {std::nullopt, {200, {}}, "not json"}).ok());

  // What the chat function stores reads back the same.
  stored_retrieval r;
  r.what = stored_retrieval::kind::pinecone;
  r.sources = *got;
  stored_retrieval back = parse_stored_retrieval(json::parse(stored_retrieval_json(r)));
  REQUIRE(back.what == stored_retrieval::kind::pinecone);
  REQUIRE(back.sources.size() == 2);
  CHECK(back.sources[0].text == (*got)[0].text);
  CHECK(back.sources[1].n == 2);
  CHECK(parse_stored_retrieval(json()).what == stored_retrieval::kind::none);
  CHECK(parse_stored_retrieval(json::parse(R"({"mode":"unavailable","reason":"query: timeout"})")).what ==
        stored_retrieval::kind::unavailable);
}

TEST_CASE("pinecone chat: the question is embedded once begin_turn stored it; the passages are stored with the turn", "[pinecone][chat]") {
  fake_host host(chat_flow, pinecone_config(), pinecone_env());
  auto log = post_question(host);
  // begin_turn first: it applies the rate limits, so a refused message costs no embedding.
  REQUIRE(log.effects.size() == 1);
  CHECK(log.effects[0]["url"] == "http://store.test/rest/v1/rpc/salient_begin_turn");
  CHECK(log.status == 0);
  host.reply(log, 1, 200, begun);
  REQUIRE(log.effects.size() == 2);
  CHECK(log.effects[1]["url"] == "http://embed.test/v1/embeddings");
  CHECK(body_of(log.effects[1])["input"] == "How much is a patio?");
  host.reply(log, 2, 200, embedding);
  REQUIRE(log.effects.size() == 3);
  const json& query = log.effects[2];
  CHECK(query["url"] == "http://pinecone.test/query");
  CHECK(body_of(query)["namespace"] == "default");
  CHECK(body_of(query)["vector"] == json{0.25, -0.5, 0.125});
  CHECK(log.status == 0);  // nothing is answered before the passages are stored
  host.reply(log, 3, 200, matches);
  json stored = attached(log);
  CHECK(stored["mode"] == "pinecone");
  REQUIRE(stored["sources"].size() == 2);
  CHECK(stored["sources"][0]["text"] == "A patio starts at 4,000 euros.");
  CHECK(stored["sources"][0]["url"] == "/prices#patios");
  host.reply(log, 4, 200, R"({"status":"attached"})");
  CHECK(log.status == 200);
  CHECK(json::parse(log.body)["stream_url"].get<std::string>().find("/a/sales/events/stream") == 0);
  // No key, no question text in the logs.
  for (const json& l : log.logs) {
    CHECK(l.dump().find("pc-test-key") == std::string::npos);
    CHECK(l.dump().find("patio") == std::string::npos);
  }
}

TEST_CASE("pinecone chat: the index host is looked up once per instance, alongside the rest", "[pinecone][chat]") {
  json cfg = pinecone_config();
  cfg["vector"]["pinecone"].erase("host");
  fake_host host(chat_flow, cfg, pinecone_env());
  auto log = post_question(host);
  REQUIRE(log.effects.size() == 1);
  host.reply(log, 1, 200, begun);
  REQUIRE(log.effects.size() == 3);  // the lookup and the embedding together
  CHECK(log.effects[1]["url"] == "http://api.pinecone.test/indexes/brightleaf-kb");
  CHECK(log.effects[2]["url"] == "http://embed.test/v1/embeddings");
  host.reply(log, 2, 200, R"({"name":"brightleaf-kb","host":"http://pinecone.test","dimension":3})");
  host.reply(log, 3, 200, embedding);
  CHECK(log.last_effect()["url"] == "http://pinecone.test/query");
  host.reply(log, 4, 200, matches);
  host.reply(log, 5, 200, R"({"status":"attached"})");
  CHECK(log.status == 200);

  auto again = post_question(host, "And a deck?");
  host.reply(again, 1, 200, begun);
  REQUIRE(again.effects.size() == 2);  // remembered: no second lookup
  CHECK(again.effects[1]["url"] == "http://embed.test/v1/embeddings");
}

TEST_CASE("pinecone chat: an integrated index is searched by text, with no embeddings call", "[pinecone][chat]") {
  fake_host host(chat_flow, pinecone_config({{"integrated", true}, {"namespace_per_agent", true}}),
                 pinecone_env({{"OPENAI_API_KEY", ""}}));
  auto log = post_question(host);
  REQUIRE(log.effects.size() == 1);
  host.reply(log, 1, 200, begun);
  const json& search = log.last_effect();
  CHECK(search["url"] == "http://pinecone.test/records/namespaces/default%3Asales/search");
  CHECK(body_of(search)["query"]["inputs"]["text"] == "How much is a patio?");
  host.reply(log, 2, 200, R"({"result":{"hits":[{"_id":"a","_score":0.7,"fields":{"text":"Patios from 4,000.","title":"Prices"}}]}})");
  CHECK(attached(log)["sources"][0]["text"] == "Patios from 4,000.");
}

TEST_CASE("pinecone chat: 429 and 5xx are retried once; then the turn goes on without Pinecone", "[pinecone][chat]") {
  SECTION("a 429 with Retry-After, then success") {
    fake_host host(chat_flow, pinecone_config(), pinecone_env());
    auto log = post_question(host);
    host.reply(log, 1, 200, begun);
    host.reply(log, 2, 429, R"({"error":{"message":"Rate limit reached"}})", {{"retry-after", "1"}});
    const json& retry = log.last_effect();
    CHECK(retry["url"] == "http://embed.test/v1/embeddings");
    CHECK(retry["delay_ms"] == 1000);  // Retry-After, within the cap
    host.reply(log, 3, 200, embedding);
    host.reply(log, 4, 200, matches);
    CHECK(attached(log)["mode"] == "pinecone");
  }
  SECTION("the query fails twice (503, then a timeout): stored as unavailable, the visitor still gets a stream") {
    fake_host host(chat_flow, pinecone_config(), pinecone_env());
    auto log = post_question(host);
    host.reply(log, 1, 200, begun);
    host.reply(log, 2, 200, embedding);
    host.reply(log, 3, 503, R"({"code":14,"message":"Service unavailable","details":[]})");
    CHECK(log.last_effect()["url"] == "http://pinecone.test/query");
    CHECK(log.last_effect()["delay_ms"].get<int>() <= 1000);
    host.fail(log, 4, effect_failure_kind::timeout);
    json stored = attached(log);
    CHECK(stored["mode"] == "unavailable");
    CHECK(stored["reason"].get<std::string>().find("query") == 0);
    host.reply(log, 5, 200, R"({"status":"attached"})");
    CHECK(log.status == 200);
    bool warned = false;
    for (const json& l : log.logs) warned = warned || l["event"] == "retrieval.unavailable";
    CHECK(warned);
  }
  SECTION("a 401 is not retried; a key the upstream echoes is not stored or logged") {
    fake_host host(chat_flow, pinecone_config(), pinecone_env());
    auto log = post_question(host);
    host.reply(log, 1, 200, begun);
    host.reply(log, 2, 401, R"({"error":{"message":"Incorrect API key provided: sk-openai-test"}})");
    json stored = attached(log);
    CHECK(stored["mode"] == "unavailable");
    CHECK(stored["reason"].get<std::string>().find("401") != std::string::npos);
    CHECK(stored.dump().find("sk-openai-test") == std::string::npos);
    for (const json& l : log.logs) CHECK(l.dump().find("sk-openai-test") == std::string::npos);
    CHECK(log.effects.size() == 3);  // begin, embed, attach
  }
  SECTION("a malformed embedding is unavailable, not a crash") {
    fake_host host(chat_flow, pinecone_config(), pinecone_env());
    auto log = post_question(host);
    host.reply(log, 1, 200, begun);
    host.reply(log, 2, 200, R"({"data":[{"embedding":"nope"}]})");
    CHECK(attached(log)["mode"] == "unavailable");
  }
  SECTION("a store failure on attach loses only the passages") {
    fake_host host(chat_flow, pinecone_config(), pinecone_env());
    auto log = post_question(host);
    host.reply(log, 1, 200, begun);
    host.reply(log, 2, 200, embedding);
    host.reply(log, 3, 200, matches);
    host.reply(log, 4, 500, R"({"code":"XX000","message":"boom"})");
    CHECK(log.status == 200);
  }
}

TEST_CASE("pinecone chat: no matches (an empty namespace) is stored as such and logged for the operator", "[pinecone][chat]") {
  fake_host host(chat_flow, pinecone_config(), pinecone_env());
  auto log = post_question(host);
  host.reply(log, 1, 200, begun);
  host.reply(log, 2, 200, embedding);
  host.reply(log, 3, 200, R"({"results":[],"matches":[],"namespace":"default","usage":{"readUnits":1}})");
  json stored = attached(log);
  CHECK(stored["mode"] == "pinecone");
  CHECK(stored["sources"].empty());
  bool logged = false;
  for (const json& l : log.logs) logged = logged || (l["event"] == "retrieval.empty" && l["namespace"] == "default");
  CHECK(logged);
}

TEST_CASE("pinecone chat: a failed or rate-limited begin_turn answers at once; nothing is embedded", "[pinecone][chat]") {
  fake_host host(chat_flow, pinecone_config(), pinecone_env());
  auto log = post_question(host);
  host.fail(log, 1, effect_failure_kind::connect);
  CHECK(log.status == 503);
  CHECK(log.effects.size() == 1);

  auto limited = post_question(host);
  host.reply(limited, 1, 200, R"({"status":"limited","limit":"messages_per_minute","scope":"ip","retry_after":42})");
  CHECK(limited.status == 429);
  CHECK(limited.header("retry-after") == "42");
  CHECK(limited.effects.size() == 1);
}

TEST_CASE("pinecone stream: the stored passages ground the answer; a failed search falls back with a note", "[pinecone][stream]") {
  auto claim = [](json retrieval) {
    json c = {{"status", "claimed"}, {"message", "How much is a patio?"}, {"session_id", "s1"}, {"agent", "sales"},
              {"history", json::array()}, {"persona", nullptr}, {"profile", nullptr}, {"month_cost_usd", 0},
              {"retrieval", retrieval}};
    return c.dump();
  };
  SECTION("pinecone passages go into the prompt and are cited") {
    fake_host host(stream_flow, pinecone_config(), llm_test_env());
    auto log = host.start(fake_host::head("GET", signed_stream_url()));
    json stored = {{"mode", "pinecone"},
                   {"sources", {{{"title", "Prices"}, {"heading", "Patios"}, {"url", "/prices#patios"},
                                 {"source", "prices.md"}, {"text", "A patio starts at 4,000 euros."}, {"score", 0.9}}}}};
    host.reply(log, 1, 200, claim(stored));
    const json& llm = log.last_effect();
    REQUIRE(llm["url"] == "http://llm.test/api/v1/chat/completions");
    std::string system = body_of(llm)["messages"][0]["content"];
    CHECK(system.find("A patio starts at 4,000 euros.") != std::string::npos);
    host.feed_head(log, 2, 200, {{"content-type", "text/event-stream"}});
    host.feed_chunk(log, 2, "data: {\"choices\":[{\"delta\":{\"content\":\"From 4,000 euros [1].\"}}]}\n\n"
                            "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
    CHECK(log.body.find("event: citations") != std::string::npos);
    CHECK(log.body.find("/prices#patios") != std::string::npos);
    CHECK(log.body.find("event: notice") == std::string::npos);
    json meta = finish_args(log)["p_metadata"];
    CHECK(meta["retrieval"]["mode"] == "pinecone");
    CHECK(meta["citations"][0]["n"] == 1);
  }
  SECTION("unavailable: a notice, and the offline answer still answers") {
    fake_host host(stream_flow, pinecone_config());
    auto log = host.start(fake_host::head("GET", signed_stream_url()));
    host.reply(log, 1, 200, claim({{"mode", "unavailable"}, {"reason", "query: timeout"}}));
    auto notice = log.body.find("event: notice");
    REQUIRE(notice != std::string::npos);
    CHECK(log.body.find("retrieval_unavailable") != std::string::npos);
    CHECK(notice < log.body.find("event: token"));
    json meta = finish_args(log)["p_metadata"];
    CHECK(meta["retrieval_degraded"] == true);
  }
  SECTION("rag=off ignores what was stored") {
    fake_host host(stream_flow, pinecone_config(), llm_test_env());
    auto log = host.start(fake_host::head("GET", signed_stream_url() + "&rag=off"));
    host.reply(log, 1, 200, claim({{"mode", "pinecone"}, {"sources", {{{"title", "P"}, {"text", "secret passage"}}}}}));
    std::string system = body_of(log.last_effect())["messages"][0]["content"];
    CHECK(system.find("secret passage") == std::string::npos);
  }
}
