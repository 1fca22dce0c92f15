// Structured output: the schema sent to the model, the validation of what comes back, and the
// ask/fallback/repair flow played against a scripted OpenRouter. `lead` below is the typed
// mapping lead extraction will start from.
#include <catch2/catch_test_macros.hpp>

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "salient/core/exchange.h"
#include "salient/upstream/openrouter/structured_output.h"

#include "effect_doc.h"

using namespace salient;
using nlohmann::json;

namespace {

// ---- the example mapping: spec + typed struct ----

struct lead {
  std::string name;
  std::optional<std::string> email, phone;
  std::vector<std::string> products;
  std::string summary;
};

object_spec lead_spec() {
  return {"lead",
          "The visitor as a sales lead.",
          {{"name", field_type::string, true, "The visitor's name, or an empty string.", 100},
           {"email", field_type::string, false, "Their email address.", 254},
           {"phone", field_type::string, false, "Their phone number.", 40},
           {"products", field_type::string_array, true, "Products they asked about.", 80},
           {"summary", field_type::string, true, "What they want, in one sentence.", 300}}};
}

result<lead> to_lead(const structured_value& v) {
  lead out;
  auto name = v.text("name");
  auto summary = v.text("summary");
  if (!name || !summary) return make_error(errc::internal, "lead: not validated against lead_spec()");
  out.name = std::string(*name);
  out.summary = std::string(*summary);
  if (auto e = v.text("email")) out.email = std::string(*e);
  if (auto p = v.text("phone")) out.phone = std::string(*p);
  out.products.assign(v.strings("products").begin(), v.strings("products").end());
  return out;
}

object_spec quote_spec() {
  return {"quote",
          "A price quote.",
          {{"item", field_type::string, true, "What is quoted."},
           {"qty", field_type::integer, true, ""},
           {"price", field_type::number, false, "USD"},
           {"urgent", field_type::boolean, false, ""},
           {"tags", field_type::string_array, false, "", 20}}};
}

// ---- the flow against a scripted host ----

request get(std::string path) {
  request r;
  r.method = "POST";
  r.target = r.path = std::move(path);
  r.now_ms = 1;
  r.request_id = "rq";
  return r;
}

std::string completion(const std::string& content, const std::string& finish = "stop") {
  json choice = {{"index", 0}, {"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", finish}};
  return json{{"id", "gen-1"},
              {"object", "chat.completion"},
              {"choices", json::array({choice})},
              {"usage", {{"prompt_tokens", 50}, {"completion_tokens", 20}, {"total_tokens", 70}, {"cost", 0.25}}}}
      .dump();
}

const std::string good_lead =
    R"({"name":"Ada","email":"ada@example.com","phone":null,"products":["roses"],"summary":"Wants roses delivered."})";

task<void> ask_flow(exchange& ex, const llm_endpoint& endpoint, const llm_settings& llm, const object_spec& spec,
                    bool schema, structured_outcome* out, bool* finished) {
  *out = co_await ask_structured(ex, endpoint, llm, "Brightleaf Gardens",
                                 {{"system", "Extract the lead."}, {"user", "I'm Ada, I want roses."}}, spec, schema);
  *finished = true;
  ex.respond({200, {}});
}

struct scripted {
  llm_endpoint endpoint{"http://llm.test/api/v1", "sk-or-test-key"};
  llm_settings llm;
  object_spec spec = lead_spec();
  structured_outcome out;
  bool finished = false;
  std::vector<json> effects, logs;
  exchange ex{get("/"), log_level::debug};

  explicit scripted(bool schema) {
    llm.model = "test/model";
    llm.temperature = 0;
    ex.start(ask_flow(ex, endpoint, llm, spec, schema, &out, &finished));
    drain();
  }
  void drain() {
    for (;;) {
      step s = ex.next();
      if (s.kind == step_kind::effect) effects.push_back(testing::effect_doc(s.data));
      else if (s.kind == step_kind::log) logs.push_back(json::parse(s.data));
      else if (s.kind == step_kind::wait || s.kind == step_kind::done) return;
    }
  }
  void reply(int status, const std::string& body) {
    REQUIRE_FALSE(effects.empty());
    auto id = effects.back()["id"].get<std::uint32_t>();
    ex.feed_head(id, {status, {{"content-type", "application/json"}}});
    if (!body.empty()) ex.feed_chunk(id, body);
    ex.feed_end(id);
    drain();
  }
  json body(std::size_t call) const { return json::parse(effects.at(call)["body"].get<std::string>()); }
  bool logged(std::string_view event) const {
    for (const auto& l : logs)
      if (l.dump().find(event) != std::string::npos) return true;
    return false;
  }
};

}  // namespace

// ---- schema ----

TEST_CASE("structured: the schema is strict mode's subset, in field order, optional fields nullable", "[structured]") {
  CHECK(json_schema_for(quote_spec()) ==
        R"({"type":"object","description":"A price quote.","properties":{)"
        R"("item":{"type":"string","description":"What is quoted."},)"
        R"("qty":{"type":"integer"},)"
        R"("price":{"type":["number","null"],"description":"USD"},)"
        R"("urgent":{"type":["boolean","null"]},)"
        R"("tags":{"type":["array","null"],"items":{"type":"string"},"description":"Each item at most 20 characters."}},)"
        R"("required":["item","qty","price","urgent","tags"],"additionalProperties":false})");
  json lead = json::parse(json_schema_for(lead_spec()));
  CHECK(lead["properties"]["summary"]["description"] == "What they want, in one sentence. At most 300 characters.");
  CHECK_FALSE(lead["properties"]["summary"].contains("maxLength"));
}

TEST_CASE("structured: schema mode asks for response_format json_schema, strict, not streamed", "[structured]") {
  llm_settings llm;
  llm.model = "m";
  auto req = structured_request({"http://llm.test/api/v1", "k"}, llm, {{"user", "hi"}}, lead_spec(), true, "Shop");
  CHECK(req.method == "POST");
  CHECK(req.url == "http://llm.test/api/v1/chat/completions");
  CHECK_FALSE(req.stream);
  json body = json::parse(req.body);
  CHECK(body["stream"] == false);
  CHECK(body["messages"] == json::parse(R"([{"role":"user","content":"hi"}])"));
  CHECK(body["response_format"]["type"] == "json_schema");
  CHECK(body["response_format"]["json_schema"]["name"] == "lead");
  CHECK(body["response_format"]["json_schema"]["strict"] == true);
  CHECK(body["response_format"]["json_schema"]["schema"] == json::parse(json_schema_for(lead_spec())));
  CHECK(body["provider"]["require_parameters"] == true);

  auto text = structured_request({"http://llm.test/api/v1", "k"}, llm, {{"user", "hi"}}, lead_spec(), false, "Shop");
  json tbody = json::parse(text.body);
  CHECK_FALSE(tbody.contains("response_format"));
  CHECK_FALSE(tbody.contains("provider"));
  REQUIRE(tbody["messages"].size() == 2);
  CHECK(tbody["messages"][1]["role"] == "system");
  std::string instruction = tbody["messages"][1]["content"];
  CHECK(instruction.find("only one JSON object") != std::string::npos);
  CHECK(instruction.find(json_schema_for(lead_spec())) != std::string::npos);
}

// ---- parsing ----

TEST_CASE("structured: a valid object reads into the typed struct", "[structured]") {
  auto v = parse_structured(good_lead, lead_spec());
  REQUIRE(v.ok());
  auto l = to_lead(*v);
  REQUIRE(l.ok());
  CHECK(l->name == "Ada");
  CHECK(l->email == "ada@example.com");
  CHECK_FALSE(l->phone.has_value());  // null for an optional field
  CHECK(l->products == std::vector<std::string>{"roses"});
  CHECK(v->fields().size() == 5);
  CHECK(std::holds_alternative<std::monostate>(*v->find("phone")));
  CHECK(to_json(*v) == good_lead);
}

TEST_CASE("structured: fenced and prose-wrapped objects are found; stray braces are skipped", "[structured]") {
  for (std::string text : {"```json\n" + good_lead + "\n```", "Sure! Here it is:\n\n" + good_lead + "\n\nAnything else?",
                           "Use {braces} carefully { like this: " + good_lead + " trailing } text",
                           "  \n" + good_lead + "\n"}) {
    INFO(text);
    auto v = parse_structured(text, lead_spec());
    REQUIRE(v.ok());
    CHECK(v->text("name") == "Ada");
  }
  // The first object that parses is the one validated, even if a later one would fit better.
  auto v = parse_structured(R"(Example: {"x":1} then )" + good_lead, lead_spec());
  REQUIRE_FALSE(v.ok());
  CHECK(v.err().message == "lead.name: missing");
}

TEST_CASE("structured: errors name the field and the problem, never the value", "[structured]") {
  struct bad {
    std::string text, message, path;
  };
  std::vector<bad> cases = {
      {R"({"name":7,"products":[],"summary":"s"})", "lead.name: expected a string", "/name"},
      {R"({"name":"A","summary":"s"})", "lead.products: missing", "/products"},
      {R"({"name":"A","products":[],"summary":null})", "lead.summary: expected a string, got null", "/summary"},
      {R"({"name":"A","products":["ok",3],"summary":"s"})", "lead.products: expected an array of strings", "/products"},
      {R"({"name":"A","products":"roses","summary":"s"})", "lead.products: expected an array of strings", "/products"},
      {R"({"name":")" + std::string(101, 'x') + R"(","products":[],"summary":"s"})", "lead.name: longer than 100 characters", "/name"},
      {R"({"name":"A","products":[")" + std::string(81, 'y') + R"("],"summary":"s"})",
       "lead.products: an item is longer than 80 characters", "/products"},
      {"no json here", "lead: no JSON object found in the answer", ""},
      {R"({"name":"A", "products": [)", "lead: no JSON object found in the answer", ""},
      {R"(["name","A"])", "lead: no JSON object found in the answer", ""},
      {std::string(300000, ' ') + good_lead, "lead: the answer is too long", ""},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto v = parse_structured(c.text, lead_spec());
    REQUIRE_FALSE(v.ok());
    CHECK(v.err().kind == errc::bad_request);
    CHECK(v.err().message == c.message);
    CHECK(v.err().path == c.path);
  }
}

TEST_CASE("structured: max_length counts code points, not bytes", "[structured]") {
  object_spec spec{"t", "", {{"s", field_type::string, true, "", 3}}};
  CHECK(parse_structured(R"({"s":"héé"})", spec).ok());       // 3 code points, 5 bytes
  CHECK(parse_structured(R"({"s":"😀😀😀"})", spec).ok());      // 3 code points, 12 bytes
  CHECK(parse_structured(R"({"s":"\u00e9\u00e9\u00e9"})", spec).ok());
  CHECK_FALSE(parse_structured(R"({"s":"abcd"})", spec).ok());
}

TEST_CASE("structured: numbers, booleans, optional nulls and absent optional fields", "[structured]") {
  auto v = parse_structured(R"({"item":"pot","qty":3.0,"price":4,"urgent":false})", quote_spec());
  REQUIRE(v.ok());
  CHECK(v->integer("qty") == 3);   // an integral float is an integer
  CHECK(v->number("price") == 4.0);  // an integer is a number
  CHECK(v->boolean("urgent") == false);
  CHECK(v->strings("tags").empty());  // absent optional → null
  CHECK(std::holds_alternative<std::monostate>(*v->find("tags")));
  CHECK_FALSE(v->text("qty").has_value());  // wrong accessor → nullopt
  CHECK_FALSE(v->text("nope").has_value());
  CHECK(to_json(*v) == R"({"item":"pot","qty":3,"price":4.0,"urgent":false,"tags":null})");

  CHECK(parse_structured(R"({"item":"p","qty":3.5})", quote_spec()).err().message == "quote.qty: expected an integer");
  CHECK(parse_structured(R"({"item":"p","qty":"3"})", quote_spec()).err().message == "quote.qty: expected an integer");
  CHECK(parse_structured(R"({"item":"p","qty":18446744073709551615})", quote_spec()).err().message ==
        "quote.qty: integer out of range");
  CHECK(parse_structured(R"({"item":"p","qty":1e300})", quote_spec()).err().message == "quote.qty: expected an integer");
  CHECK(parse_structured(R"({"item":"p","qty":-9223372036854775808})", quote_spec())->integer("qty") ==
        std::numeric_limits<std::int64_t>::min());
  CHECK(parse_structured(R"({"item":"p","qty":1,"urgent":"yes"})", quote_spec()).err().message ==
        "quote.urgent: expected true or false");
  CHECK(parse_structured(R"({"item":"p","qty":1,"price":"4"})", quote_spec()).err().message ==
        "quote.price: expected a number");
}

TEST_CASE("structured: extra members are ignored and never exposed", "[structured]") {
  auto v = parse_structured(R"({"item":"p","qty":1,"secret":"x","nested":{"a":[1,2]}})", quote_spec());
  REQUIRE(v.ok());
  CHECK(v->find("secret") == nullptr);
  CHECK(to_json(*v).find("secret") == std::string::npos);
}

TEST_CASE("structured: unicode and escapes survive, braces inside strings do not confuse the scan", "[structured]") {
  auto v = parse_structured(R"(Result: {"name":"Zoë \"Z\" {Ω} \\ \n 😀 \ud83d\ude00","products":["a}b","{"],"summary":"}"})",
                            lead_spec());
  REQUIRE(v.ok());
  CHECK(v->text("name") == "Zoë \"Z\" {Ω} \\ \n 😀 😀");
  CHECK(std::vector<std::string>(v->strings("products").begin(), v->strings("products").end()) ==
        std::vector<std::string>{"a}b", "{"});
  CHECK(v->text("summary") == "}");
  // Invalid UTF-8 and lone surrogates are not JSON: no object found.
  CHECK_FALSE(parse_structured("{\"name\":\"\xff\",\"products\":[],\"summary\":\"\"}", lead_spec()).ok());
  CHECK_FALSE(parse_structured(R"({"name":"\ud800","products":[],"summary":""})", lead_spec()).ok());
}

// ---- the flow ----

TEST_CASE("structured: schema mode succeeds in one call", "[structured]") {
  scripted s(true);
  REQUIRE(s.effects.size() == 1);
  const json& call = s.effects[0];
  CHECK(call["url"] == "http://llm.test/api/v1/chat/completions");
  CHECK_FALSE(call.contains("stream"));  // a whole effect: the host buffers the answer
  CHECK(call["timeout_ms"] == 30000);
  json body = s.body(0);
  CHECK(body["model"] == "test/model");
  CHECK(body["stream"] == false);
  CHECK(body["response_format"]["json_schema"]["strict"] == true);
  CHECK(body["response_format"]["json_schema"]["schema"]["additionalProperties"] == false);
  CHECK(body["messages"].size() == 2);  // no instruction appended in schema mode
  CHECK(call["body"].get<std::string>().find("sk-or-test-key") == std::string::npos);
  s.reply(200, completion(good_lead));
  REQUIRE(s.finished);
  REQUIRE(s.out.value.ok());
  CHECK(to_lead(*s.out.value)->name == "Ada");
  CHECK(s.out.calls == 1);
  CHECK(s.out.schema_used);
  CHECK_FALSE(s.out.failure);
  CHECK(s.out.usage.total_tokens == 70);
  CHECK(s.out.usage.cost == 0.25);
}

TEST_CASE("structured: an invalid answer gets one text-mode repair naming the error", "[structured]") {
  scripted s(true);
  s.reply(200, completion("Sure! The visitor is Ada and she wants roses."));
  REQUIRE(s.effects.size() == 2);
  json body = s.body(1);
  CHECK_FALSE(body.contains("response_format"));
  const json& msgs = body["messages"];
  REQUIRE(msgs.size() == 5);  // system, user, instruction, the bad answer, the repair request
  CHECK(msgs[2]["role"] == "system");
  CHECK(msgs[3] == json{{"role", "assistant"}, {"content", "Sure! The visitor is Ada and she wants roses."}});
  CHECK(msgs[4]["role"] == "user");
  CHECK(msgs[4]["content"].get<std::string>().find("lead: no JSON object found in the answer") != std::string::npos);
  CHECK(s.logged("llm.structured_repair"));
  s.reply(200, completion("```json\n" + good_lead + "\n```"));
  REQUIRE(s.finished);
  REQUIRE(s.out.value.ok());
  CHECK(s.out.calls == 2);
  CHECK_FALSE(s.out.schema_used);
  CHECK(s.out.usage.total_tokens == 140);  // summed over both calls
  CHECK(s.out.usage.cost == 0.5);
}

TEST_CASE("structured: invalid twice is a typed upstream error, with no third call", "[structured]") {
  scripted s(false);
  s.reply(200, completion(R"({"name":1})"));
  REQUIRE(s.effects.size() == 2);
  CHECK(s.body(1)["messages"][4]["content"].get<std::string>().find("lead.name: expected a string") != std::string::npos);
  s.reply(200, completion(R"({"name":"Ada","products":[]})", "length"));
  REQUIRE(s.finished);
  CHECK(s.effects.size() == 2);
  REQUIRE_FALSE(s.out.value.ok());
  CHECK(s.out.value.err().kind == errc::upstream);
  CHECK(s.out.value.err().message ==
        "the model's answer was not valid after one repair: lead.summary: missing (the answer was cut off at max_tokens)");
  CHECK_FALSE(s.out.failure);  // the model answered; its answers were wrong
}

TEST_CASE("structured: a refusal in schema mode is repaired like any invalid answer", "[structured]") {
  scripted s(true);
  json choice = {{"message", {{"role", "assistant"}, {"content", nullptr}, {"refusal", "I can't help."}}}};
  json refusal = {{"choices", json::array({choice})}};
  s.reply(200, refusal.dump());
  REQUIRE(s.effects.size() == 2);
  CHECK(s.body(1)["messages"][3]["content"] == "I can't help.");
  CHECK(s.body(1)["messages"][4]["content"].get<std::string>().find("declined") != std::string::npos);
  s.reply(200, completion(good_lead));
  CHECK(s.out.value.ok());
}

TEST_CASE("structured: a 400 or 404 to schema mode falls back to text mode once", "[structured]") {
  for (int status : {400, 404}) {
    INFO(status);
    scripted s(true);
    s.reply(status, R"({"error":{"code":400,"message":"response_format is not supported"}})");
    REQUIRE(s.effects.size() == 2);
    json body = s.body(1);
    CHECK_FALSE(body.contains("response_format"));
    CHECK(body["messages"].size() == 3);  // the instruction appended
    CHECK(s.logged("llm.structured_fallback"));
    s.reply(200, completion(good_lead));
    REQUIRE(s.out.value.ok());
    CHECK(s.out.calls == 2);
    CHECK_FALSE(s.out.schema_used);
  }
}

TEST_CASE("structured: after a schema fallback the text answer still gets its repair", "[structured]") {
  scripted s(true);
  s.reply(400, "");
  s.reply(200, completion("no idea"));
  REQUIRE(s.effects.size() == 3);
  s.reply(200, completion(good_lead));
  REQUIRE(s.out.value.ok());
  CHECK(s.out.calls == 3);
}

TEST_CASE("structured: HTTP and network failures are classified and not retried", "[structured]") {
  {
    scripted s(true);
    s.reply(500, R"({"error":{"code":500,"message":"boom"}})");
    REQUIRE(s.finished);
    CHECK(s.effects.size() == 1);
    REQUIRE_FALSE(s.out.value.ok());
    CHECK(s.out.value.err().kind == errc::unavailable);
    REQUIRE(s.out.failure);
    CHECK(s.out.failure->status == 500);
    CHECK(s.out.failure->retryable);
    CHECK(s.out.failure->reason == "status 500: boom");
  }
  {
    scripted s(false);  // a 400 in text mode is final
    s.reply(400, R"({"error":{"code":400,"message":"bad model"}})");
    REQUIRE(s.finished);
    CHECK(s.effects.size() == 1);
    CHECK(s.out.value.err().kind == errc::upstream);
    CHECK_FALSE(s.out.failure->retryable);
  }
  {
    scripted s(true);
    s.ex.feed_failure(1, {effect_failure_kind::timeout, "slow"});
    s.drain();
    REQUIRE(s.finished);
    CHECK(s.effects.size() == 1);
    CHECK(s.out.value.err().kind == errc::unavailable);
    CHECK(s.out.failure->reason == "timeout");
  }
  {
    scripted s(true);  // a failure on the repair call is reported as that failure
    s.reply(200, completion("nope"));
    s.reply(429, R"({"error":{"code":429,"message":"slow down"}})");
    REQUIRE(s.finished);
    CHECK(s.out.calls == 2);
    CHECK(s.out.failure->status == 429);
  }
}

TEST_CASE("structured: a 200 carrying an error object or no message is an upstream failure, not a repair", "[structured]") {
  for (std::string body : {std::string(R"({"error":{"code":502,"message":"Provider returned error"}})"),
                           std::string(R"({"choices":[]})"), std::string("not json")}) {
    INFO(body);
    scripted s(true);
    s.reply(200, body);
    REQUIRE(s.finished);
    CHECK(s.effects.size() == 1);
    REQUIRE(s.out.failure);
  }
  scripted s(true);
  s.reply(200, R"({"error":{"code":502,"message":"Provider returned error"}})");
  CHECK(s.out.failure->retryable);
  CHECK(s.out.failure->status == 502);
}
