// Writing passages into Pinecone (pinecone_upsert.h) and embedding them (embeddings.h): the
// exact requests `salient ingest --pinecone` sends, and how their answers are read, good and bad.
#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "upstream/pinecone/embeddings.h"
#include "upstream/pinecone/pinecone_search.h"
#include "upstream/pinecone/pinecone_upsert.h"

using namespace salient;
using nlohmann::json;

namespace {

pinecone_endpoint endpoint(std::string provider = "openai", int dimensions = 0) {
  pinecone_endpoint ep;
  ep.key = "pc-test-key";
  ep.api_url = "http://api.pinecone.test";
  ep.ns = "acme:sales";
  ep.text_field = "text";
  ep.embed_provider = provider;
  ep.embed_model = provider == "pinecone" ? "llama-text-embed-v2" : "text-embedding-3-small";
  ep.embed_url = provider == "pinecone" ? "http://api.pinecone.test/embed" : "http://embed.test/v1/embeddings";
  ep.embed_key = provider == "pinecone" ? "pc-test-key" : "sk-openai-test";
  ep.dimensions = dimensions;
  ep.timeout_ms = 60000;
  return ep;
}

fetch_result answer(std::string body, int status = 200) { return {std::nullopt, {status, {}}, std::move(body)}; }

std::string error_of(const result<std::vector<std::vector<double>>>& r) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().kind == errc::upstream);
  return r.err().message;
}

}  // namespace

TEST_CASE("pinecone upsert: records number each source's chunks and leave empty fields out", "[pinecone]") {
  std::vector<knowledge_chunk> chunks = {
      {"prices.md", "Prices", "Patios", "/prices#patios", "A patio starts at 4,000 euros."},
      {"prices.md", "Prices", "", "", "Paths \"cost\" less."},
      {"about.txt", "About", "", "", "We are a family business."},
  };
  auto records = pinecone_records(chunks, "text");
  REQUIRE(records.size() == 3);
  CHECK(records[0].id == "prices.md#0");
  CHECK(records[1].id == "prices.md#1");
  CHECK(records[2].id == "about.txt#0");
  CHECK(records[0].text == "A patio starts at 4,000 euros.");
  // Keys sorted, compact: the CLI's state hashes these bytes, so they must not drift.
  CHECK(records[0].fields ==
        R"({"heading":"Patios","source":"prices.md","text":"A patio starts at 4,000 euros.","title":"Prices","url":"/prices#patios"})");
  CHECK(records[1].fields == R"({"source":"prices.md","text":"Paths \"cost\" less.","title":"Prices"})");

  // A text field named like another field still holds the text; retrieval reads it back.
  auto odd = pinecone_records(chunks, "title");
  CHECK(odd[0].fields == R"({"heading":"Patios","source":"prices.md","title":"A patio starts at 4,000 euros.","url":"/prices#patios"})");
  source back = passage_from_fields(json::parse(records[0].fields), "text");
  CHECK(back.text == chunks[0].text);
  CHECK(back.heading == "Patios");
  CHECK(back.path == "prices.md");
}

TEST_CASE("pinecone upsert: the passages' embeddings requests, OpenAI and Pinecone", "[pinecone]") {
  outbound_request openai = embed_passages_request(endpoint("openai", 3), {"a patio", "a path"});
  CHECK(openai.method == "POST");
  CHECK(openai.url == "http://embed.test/v1/embeddings");
  CHECK(openai.timeout_ms == 60000);
  CHECK(find_header(openai.headers, "authorization") == "Bearer sk-openai-test");
  CHECK(find_header(openai.headers, "api-key").empty());
  CHECK(openai.body == R"({"dimensions":3,"encoding_format":"float","input":["a patio","a path"],"model":"text-embedding-3-small"})");
  // Without dimensions, none is sent (the model's own size).
  CHECK(embed_passages_request(endpoint("openai"), {"x"}).body ==
        R"({"encoding_format":"float","input":["x"],"model":"text-embedding-3-small"})");

  outbound_request pinecone = embed_passages_request(endpoint("pinecone", 384), {"a patio", "a path"});
  CHECK(pinecone.url == "http://api.pinecone.test/embed");
  CHECK(find_header(pinecone.headers, "api-key") == "pc-test-key");
  CHECK(find_header(pinecone.headers, "x-pinecone-api-version") == "2025-10");
  CHECK(pinecone.body == R"({"inputs":[{"text":"a patio"},{"text":"a path"}],"model":"llama-text-embed-v2",)"
                         R"("parameters":{"dimension":384,"input_type":"passage","truncate":"END"}})");
}

TEST_CASE("pinecone upsert: embeddings answers become one vector per text, in order, numbers unchanged", "[pinecone]") {
  // OpenAI's index says which input a vector is for, whatever the order of the list.
  auto openai = parse_passage_embeddings(endpoint("openai"), answer(R"({"object":"list","data":[
      {"object":"embedding","index":1,"embedding":[0.1,-0.2]},
      {"object":"embedding","index":0,"embedding":[0.30000000000000004,1e-7]}],"model":"m"})"), 2);
  REQUIRE(openai.ok());
  CHECK(*openai == std::vector<std::vector<double>>{{0.30000000000000004, 1e-7}, {0.1, -0.2}});
  auto pinecone = parse_passage_embeddings(endpoint("pinecone", 2), answer(R"({"model":"llama-text-embed-v2",
      "data":[{"values":[1,2],"vector_type":"dense"},{"values":[3,4.5],"vector_type":"dense"}],"usage":{"total_tokens":4}})"), 2);
  REQUIRE(pinecone.ok());
  CHECK(*pinecone == std::vector<std::vector<double>>{{1, 2}, {3, 4.5}});
}

TEST_CASE("pinecone upsert: an embeddings answer that does not fit the texts is an error saying why", "[pinecone]") {
  pinecone_endpoint ep = endpoint("openai");
  CHECK(error_of(parse_passage_embeddings(ep, answer("not json"), 1)) == "the answer has no data list");
  CHECK(error_of(parse_passage_embeddings(ep, answer(R"({"data":{}})"), 1)) == "the answer has no data list");
  CHECK(error_of(parse_passage_embeddings(ep, answer(R"({"data":[{"index":0,"embedding":[0.5,0.5]}]})"), 6)) ==
        "1 vectors for 6 inputs");
  CHECK(error_of(parse_passage_embeddings(ep, answer(R"({"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[2]}]})"), 2)) ==
        "a bad or repeated index in the answer");
  CHECK(error_of(parse_passage_embeddings(ep, answer(R"({"data":[{"index":-1,"embedding":[1]}]})"), 1)) ==
        "a bad or repeated index in the answer");
  CHECK(error_of(parse_passage_embeddings(ep, answer(R"({"data":[{"index":0,"embedding":[1]},{"index":1,"embedding":["x"]}]})"), 2)) ==
        "vector 1 is not a non-empty list of numbers");
  CHECK(error_of(parse_passage_embeddings(ep, answer(R"({"data":[{"index":0,"embedding":[]}]})"), 1)) ==
        "vector 0 is not a non-empty list of numbers");
  CHECK(error_of(parse_passage_embeddings(ep, answer(R"({"data":[{"index":0}]})"), 1)) ==
        "vector 0 is not a non-empty list of numbers");
  CHECK(error_of(parse_passage_embeddings(ep, answer(R"({"data":[{"index":0,"embedding":[1,2,3]},{"index":1,"embedding":[1,2]}]})"), 2)) ==
        "vectors of different lengths (3 and 2)");
  CHECK(error_of(parse_passage_embeddings(endpoint("openai", 3), answer(R"({"data":[{"index":0,"embedding":[1,2]}]})"), 1)) ==
        "vectors of 2 dimensions, embeddings.dimensions is 3");
  // Pinecone's /embed has no index: its `values` are taken in order.
  CHECK(error_of(parse_passage_embeddings(endpoint("pinecone"), answer(R"({"data":[{"embedding":[1]}]})"), 1)) ==
        "vector 0 is not a non-empty list of numbers");
}

TEST_CASE("pinecone upsert: vectors go to /vectors/upsert with their metadata, numbers in shortest form", "[pinecone]") {
  pinecone_endpoint ep = endpoint();
  std::vector<pinecone_record> records = {{"prices.md#0", "t", R"({"source":"prices.md","text":"t"})"},
                                          {"about.txt#0", "u", R"({"text":"u"})"}};
  auto upserts = upsert_vectors_requests(ep, "http://idx.test", records, {{0.25, -0.5, 1e-7}, {0.1, 2, 0.30000000000000004}});
  REQUIRE(upserts.size() == 1);
  CHECK(upserts[0].count == 2);
  const outbound_request& rq = upserts[0].request;
  CHECK(rq.method == "POST");
  CHECK(rq.url == "http://idx.test/vectors/upsert");
  CHECK(rq.timeout_ms == 60000);
  CHECK(find_header(rq.headers, "api-key") == "pc-test-key");
  CHECK(find_header(rq.headers, "content-type") == "application/json");
  CHECK(find_header(rq.headers, "x-pinecone-api-version") == "2025-10");
  CHECK(rq.body == R"({"vectors":[{"id":"prices.md#0","values":[0.25,-0.5,1e-07],"metadata":{"source":"prices.md","text":"t"}},)"
                   R"({"id":"about.txt#0","values":[0.1,2,0.30000000000000004],"metadata":{"text":"u"}}],"namespace":"acme:sales"})");
  // The numbers read back exactly as the embeddings API gave them.
  json body = json::parse(rq.body);
  CHECK(body["vectors"][1]["values"][2].get<double>() == 0.30000000000000004);
}

TEST_CASE("pinecone upsert: a batch larger than Pinecone's 2 MB goes in several bodies", "[pinecone]") {
  pinecone_endpoint ep = endpoint();
  std::vector<pinecone_record> records;
  std::vector<std::vector<double>> vectors;
  const std::string big(700000, 'x');
  for (int i = 0; i < 5; ++i) {
    records.push_back({"big.md#" + std::to_string(i), big, R"({"text":")" + big + R"("})"});
    vectors.push_back({0.5});
  }
  auto upserts = upsert_vectors_requests(ep, "http://idx.test", records, vectors);
  REQUIRE(upserts.size() == 3);
  std::size_t total = 0;
  for (const pinecone_upsert& u : upserts) {
    CHECK(u.request.body.size() <= 2000000);
    CHECK(json::parse(u.request.body)["vectors"].size() == u.count);
    total += u.count;
  }
  CHECK(total == 5);
  CHECK(json::parse(upserts[2].request.body)["vectors"][0]["id"] == "big.md#4");
  // One record over the limit alone still goes, alone: Pinecone says what is wrong with it.
  std::vector<pinecone_record> huge = {{"huge.md#0", "", R"({"text":")" + std::string(2100000, 'y') + R"("})"}};
  auto alone = upsert_vectors_requests(ep, "http://idx.test", huge, {{1}});
  REQUIRE(alone.size() == 1);
  CHECK(alone[0].count == 1);
}

TEST_CASE("pinecone upsert: the answer must count every vector sent", "[pinecone]") {
  CHECK(parse_upserted_count(answer(R"({"upsertedCount":2})"), 2).ok());
  auto fewer = parse_upserted_count(answer(R"({"upsertedCount":1})"), 2);
  REQUIRE_FALSE(fewer.ok());
  CHECK(fewer.err().kind == errc::upstream);
  CHECK(fewer.err().message == "sent 2 vectors, the answer does not say that many were upserted: {\"upsertedCount\":1}");
  CHECK_FALSE(parse_upserted_count(answer(R"({"upsertedCount":-2})"), 2).ok());
  CHECK_FALSE(parse_upserted_count(answer(R"({"upsertedCount":"2"})"), 2).ok());
  auto odd = parse_upserted_count(answer(R"({"message":"Request was partially processed"})"), 2);
  REQUIRE_FALSE(odd.ok());
  CHECK(odd.err().message.ends_with(": Request was partially processed"));
  CHECK_FALSE(parse_upserted_count(answer(""), 0).ok());
}

TEST_CASE("pinecone upsert: an integrated index takes the records as NDJSON in its namespace", "[pinecone]") {
  pinecone_endpoint ep = endpoint();
  std::vector<pinecone_record> records = {{"prices.md#0", "t", R"({"source":"prices.md","text":"t"})"},
                                          {"a\"b.md#0", "u", R"({"text":"u"})"}};
  auto upserts = upsert_records_requests(ep, "http://idx.test", records);
  REQUIRE(upserts.size() == 1);
  CHECK(upserts[0].count == 2);
  const outbound_request& rq = upserts[0].request;
  CHECK(rq.url == "http://idx.test/records/namespaces/acme%3Asales/upsert");
  CHECK(find_header(rq.headers, "content-type") == "application/x-ndjson");
  CHECK(find_header(rq.headers, "api-key") == "pc-test-key");
  CHECK(rq.body == "{\"_id\":\"prices.md#0\",\"source\":\"prices.md\",\"text\":\"t\"}\n"
                   "{\"_id\":\"a\\\"b.md#0\",\"text\":\"u\"}\n");
  std::vector<pinecone_record> bare = {{"x#0", "", "{}"}};
  CHECK(upsert_records_requests(ep, "http://idx.test", bare)[0].request.body == "{\"_id\":\"x#0\"}\n");
}

TEST_CASE("pinecone upsert: removed ids are deleted by id in the namespace", "[pinecone]") {
  std::vector<std::string> ids = {"hours.txt#0", "hours.txt#1"};
  outbound_request rq = delete_vectors_request(endpoint(), "http://idx.test", ids);
  CHECK(rq.method == "POST");
  CHECK(rq.url == "http://idx.test/vectors/delete");
  CHECK(find_header(rq.headers, "api-key") == "pc-test-key");
  CHECK(rq.body == R"({"ids":["hours.txt#0","hours.txt#1"],"namespace":"acme:sales"})");
}

TEST_CASE("pinecone upsert: a failed answer's message, in each upstream's shape", "[pinecone]") {
  CHECK(upstream_error_message(R"({"code":3,"message":"Metadata size exceeds the limit","details":[]})") ==
        "Metadata size exceeds the limit");
  CHECK(upstream_error_message(R"({"error":{"code":"NOT_FOUND","message":"Resource missing-index not found"},"status":404})") ==
        "Resource missing-index not found");
  CHECK(upstream_error_message(R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}})") ==
        "Incorrect API key provided");
  CHECK(upstream_error_message(R"({"error":"rate limited"})") == "rate limited");
  CHECK(upstream_error_message("<html>\r\n<h1>502 Bad Gateway</h1>\n</html>") == "<html>  <h1>502 Bad Gateway</h1> </html>");
  CHECK(upstream_error_message("") == "(empty body)");
  std::string long_body = std::string(299, 'a') + "\xC3\xA9" + "bbb";  // é straddles byte 300
  CHECK(upstream_error_message(long_body) == std::string(299, 'a') + "\xE2\x80\xA6");
}
