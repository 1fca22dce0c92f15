// The chat function driven by the scripted fake host: exact effects, exact responses.
#include <catch2/catch_test_macros.hpp>

#include "fake_host.h"
#include "salient/flows/flows.h"
#include "salient/http/stream_token.h"

using namespace salient;
using namespace salient::testing;

namespace {

json form_headers(json extra = json::object()) {
  json h = {{"content-type", "application/x-www-form-urlencoded"}, {"hx-request", "true"}};
  h.update(extra);
  return h;
}

const char* begun = R"({"turn_id":"019a9b4e-0000-7000-8000-000000000001","session_id":"019a9b4e-0000-7000-8000-0000000000aa","duplicate":false})";

std::string query_param(const std::string& url, const std::string& name) {
  auto at = url.find(name + "=");
  if (at == std::string::npos) return {};
  auto end = url.find('&', at);
  return url.substr(at + name.size() + 1, end == std::string::npos ? std::string::npos : end - at - name.size() - 1);
}

}  // namespace

TEST_CASE("chat: a form POST stores the message first, then returns a partial with a signed stream URL", "[chat]") {
  fake_host host(chat_flow);
  auto log = host.start(fake_host::head("POST", "/a/sales/chat", form_headers()),
                        "message=Hello+there%21&session_key=visitor-0001&idempotency_key=idem-00001");
  // Nothing is answered before the message is stored: one effect, no response yet.
  REQUIRE(log.order == std::vector<std::string>{"effect"});
  const json& e = log.last_effect();
  CHECK(e["method"] == "POST");
  CHECK(e["url"] == "http://store.test/rest/v1/rpc/salient_begin_turn");
  CHECK(e["headers"] == json::array({{"content-type", "application/json"}, {"accept", "application/json"}}));
  json args = json::parse(e["body"].get<std::string>());
  CHECK(args["p_tenant"] == "default");
  CHECK(args["p_agent"] == "sales");
  CHECK(args["p_session_key"] == "visitor-0001");
  CHECK(args["p_idempotency_key"] == "idem-00001");
  CHECK(args["p_content"] == "Hello there!");
  CHECK(is_uuid(args["p_message_id"].get<std::string>()));

  host.reply(log, e["id"], 200, begun);
  CHECK(log.status == 200);
  CHECK(log.header("content-type") == "text/html; charset=utf-8");
  CHECK(log.header("content-security-policy").find("script-src 'self'") != std::string::npos);
  CHECK(log.body.find(R"(<div class="msg user"><div class="text">Hello there!</div></div>)") != std::string::npos);
  auto at = log.body.find("sse-connect=\"");
  REQUIRE(at != std::string::npos);
  std::string url = log.body.substr(at + 13, log.body.find('"', at + 13) - at - 13);
  CHECK(url.rfind("/a/sales/events/stream?stream_id=", 0) == 0);
  auto decoded = percent_decode(query_param(url, "stream_id"), false);
  REQUIRE(decoded);
  auto turn = verify_stream_id(test_secret, "sales", *decoded, test_now_ms / 1000, 60);
  REQUIRE(turn.ok());
  CHECK(*turn == "019a9b4e-0000-7000-8000-000000000001");
  CHECK(log.body.find("hx-swap-oob") == std::string::npos);  // the client's session key was kept
  CHECK(log.done);
}

TEST_CASE("chat: a JSON POST gets JSON back, and a missing session key is made up", "[chat]") {
  fake_host host(chat_flow);
  auto log = host.start(
      fake_host::head("POST", "/a/sales/chat", {{"content-type", "application/json"}, {"accept", "application/json"}}),
      R"({"message":"pricing?"})");
  json args = json::parse(log.last_effect()["body"].get<std::string>());
  std::string made_up = args["p_session_key"];
  CHECK(is_uuid(made_up));
  CHECK(is_uuid(args["p_idempotency_key"].get<std::string>()));
  host.reply(log, 1, 200, begun);
  CHECK(log.status == 200);
  CHECK(log.header("content-type") == "application/json");
  json body = json::parse(log.body);
  CHECK(body["session_key"] == made_up);
  CHECK(body["message_id"] == "019a9b4e-0000-7000-8000-000000000001");
  CHECK(body["expires_at"] == test_now_ms / 1000 + 60);
  CHECK(body["stream_url"].get<std::string>().find("&format=json") != std::string::npos);
}

TEST_CASE("chat: an htmx POST without a session key gets one back out of band", "[chat]") {
  fake_host host(chat_flow);
  auto log = host.start(fake_host::head("POST", "/a/sales/chat", form_headers()), "message=hi");
  host.reply(log, 1, 200, begun);
  CHECK(log.body.find(R"(id="session-key" name="session_key" value="019aaaac-2600-7)") != std::string::npos);
  CHECK(log.body.find(R"(hx-swap-oob="true")") != std::string::npos);
}

TEST_CASE("chat: the visitor's text is escaped in the partial", "[chat]") {
  fake_host host(chat_flow);
  auto log = host.start(fake_host::head("POST", "/a/sales/chat", form_headers()),
                        "message=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
  host.reply(log, 1, 200, begun);
  CHECK(log.body.find("<script>") == std::string::npos);
  CHECK(log.body.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
}

TEST_CASE("chat: bad requests are answered without touching the store", "[chat]") {
  struct bad_case {
    const char* name;
    json head;
    std::string body;
    int status;
    const char* says;
  };
  json form = form_headers();
  json as_json = {{"content-type", "application/json"}, {"accept", "application/json"}};
  json truncated = fake_host::head("POST", "/a/sales/chat", as_json);
  truncated["body_truncated"] = true;
  std::vector<bad_case> cases = {
      {"unknown agent", fake_host::head("POST", "/a/nobody/chat", form), "message=hi", 404, "nobody"},
      {"not an agent path", fake_host::head("GET", "/elsewhere", form), "", 404, "no page"},
      {"GET on the POST route", fake_host::head("GET", "/a/sales/chat", form), "", 405, "POST"},
      {"truncated body", truncated, "{", 413, "too large"},
      {"missing message", fake_host::head("POST", "/a/sales/chat", form), "session_key=abcdefgh1", 400, "missing"},
      {"blank message", fake_host::head("POST", "/a/sales/chat", form), "message=+%0A+", 400, "empty"},
      {"malformed JSON", fake_host::head("POST", "/a/sales/chat", as_json), "{\"message\":", 400, "JSON"},
      {"message not a string", fake_host::head("POST", "/a/sales/chat", as_json), R"({"message":5})", 400, "string"},
      {"invalid UTF-8", fake_host::head("POST", "/a/sales/chat", form), "message=%C0%AF", 400, "UTF-8"},
      {"bad session key", fake_host::head("POST", "/a/sales/chat", form), "message=hi&session_key=a%20b", 400, "session_key"},
      {"NUL in a form field", fake_host::head("POST", "/a/sales/chat", form), "message=a%00b", 400, "NUL"},
      {"NUL in a JSON field", fake_host::head("POST", "/a/sales/chat", as_json), R"({"message":"a\u0000b"})", 400, "NUL"},
      {"NUL in the identify name", fake_host::head("POST", "/a/sales/identify", form),
       "session_key=visitor-0001&name=Ann%00", 400, "NUL"},
      {"NUL in a history key", fake_host::head("POST", "/a/sales/history", form), "session_key=visitor-0001%00", 400, "NUL"},
      {"bad percent-encoding", fake_host::head("POST", "/a/sales/chat", form), "message=100%", 400, "percent"},
      {"unsupported type", fake_host::head("POST", "/a/sales/chat", {{"content-type", "text/plain"}}), "hi", 415,
       "x-www-form-urlencoded"},
      {"cross-site form post",
       fake_host::head("POST", "/a/sales/chat",
                       form_headers({{"origin", "https://evil.example"}, {"host", "shop.example"}})),
       "message=hi", 403, "cross-site"},
      // Origin: null (a sandboxed iframe or a data: URL can send it) without the browser saying
      // the request is the site's own: refused, whether or not it says cross-site.
      {"Origin null", fake_host::head("POST", "/a/sales/chat", form_headers({{"origin", "null"}})), "message=hi", 403,
       "cross-site"},
      {"Origin null, cross-site",
       fake_host::head("POST", "/a/sales/chat", form_headers({{"origin", "null"}, {"sec-fetch-site", "cross-site"}})),
       "message=hi", 403, "cross-site"},
      {"Origin null, same-site (another subdomain)",
       fake_host::head("POST", "/a/sales/chat", form_headers({{"origin", "null"}, {"sec-fetch-site", "same-site"}})),
       "message=hi", 403, "cross-site"},
      {"no Origin, cross-site", fake_host::head("POST", "/a/sales/chat", form_headers({{"sec-fetch-site", "cross-site"}})),
       "message=hi", 403, "cross-site"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    fake_host host(chat_flow, json{{"chat", {{"max_message_chars", 10}}}});
    auto log = host.start(c.head, c.body);
    CHECK(log.effects.empty());
    CHECK(log.status == c.status);
    CHECK(log.body.find(c.says) != std::string::npos);
    CHECK(log.done);
  }
}

TEST_CASE("chat: too long a message is 413 and says the limit", "[chat]") {
  fake_host host(chat_flow, json{{"chat", {{"max_message_chars", 5}}}});
  auto log = host.start(fake_host::head("POST", "/a/sales/chat", form_headers()), "message=%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9");
  CHECK(log.effects.size() == 1);  // five characters (ten bytes) are within the limit
  fake_host host2(chat_flow, json{{"chat", {{"max_message_chars", 5}}}});
  auto log2 = host2.start(fake_host::head("POST", "/a/sales/chat", form_headers()), "message=abcdef");
  CHECK(log2.status == 413);
  CHECK(log2.body.find("at most 5 characters") != std::string::npos);
}

TEST_CASE("chat: same-origin and configured widget origins may post", "[chat]") {
  fake_host host(chat_flow, json{{"app", {{"allowed_origins", {"https://shop.example"}}}}});
  auto same = host.start(fake_host::head("POST", "/a/sales/chat",
                                         form_headers({{"origin", "http://127.0.0.1:8787"}, {"host", "127.0.0.1:8787"}})),
                         "message=hi");
  CHECK(same.effects.size() == 1);
  auto widget = host.start(fake_host::head("POST", "/a/sales/chat",
                                           form_headers({{"origin", "https://shop.example"}, {"host", "api.example"}})),
                           "message=hi");
  CHECK(widget.effects.size() == 1);
  // A form on the site's own page under a no-referrer policy sends Origin: null, and the
  // browser's Sec-Fetch-Site says same-origin; a client without Origin (curl, a server) passes.
  auto own_form = host.start(fake_host::head("POST", "/a/sales/chat",
                                             form_headers({{"origin", "null"}, {"sec-fetch-site", "same-origin"}})),
                             "message=hi");
  CHECK(own_form.effects.size() == 1);
  CHECK(host.start(fake_host::head("POST", "/a/sales/chat", form_headers()), "message=hi").effects.size() == 1);
}

TEST_CASE("chat: an unreachable or failing store is a 503 the visitor can retry", "[chat]") {
  for (int variant = 0; variant < 3; ++variant) {
    fake_host host(chat_flow);
    auto log = host.start(fake_host::head("POST", "/a/sales/chat", form_headers()), "message=hi");
    if (variant == 0) host.fail(log, 1, effect_failure_kind::connect);
    if (variant == 1) host.reply(log, 1, 503, R"({"message":"down"})");
    if (variant == 2) host.reply(log, 1, 200, "not json");
    INFO(variant);
    CHECK(log.status == 503);
    CHECK(log.body.find("please try again") != std::string::npos);
    CHECK(log.body.find(R"(class="msg error")") != std::string::npos);  // an htmx fragment
  }
}

TEST_CASE("chat: a missing secret or store is a configuration error, logged", "[chat]") {
  fake_host no_secret(chat_flow, json::object(), json{{"SUPABASE_URL", "http://s"}});
  auto a = no_secret.start(fake_host::head("POST", "/a/sales/chat", form_headers()), "message=hi");
  CHECK(a.status == 500);
  CHECK(a.effects.empty());
  REQUIRE(a.logs.size() == 1);
  CHECK(a.logs[0]["event"] == "config.invalid");
  CHECK(a.logs[0]["reason"].get<std::string>().find("SALIENT_STREAM_SECRET") != std::string::npos);
  fake_host no_store(chat_flow, json::object(), json{{"SALIENT_STREAM_SECRET", test_secret}});
  auto b = no_store.start(fake_host::head("POST", "/a/sales/chat", form_headers()), "message=hi");
  CHECK(b.status == 500);
  CHECK(b.logs[0]["reason"].get<std::string>().find("SUPABASE_URL") != std::string::npos);
}

TEST_CASE("chat: Supabase keys go in apikey, and legacy JWTs also in Authorization", "[chat]") {
  json env = fake_host::default_env();
  env["SUPABASE_KEY"] = "eyJhbGciOiJIUzI1NiJ9.x.y";
  fake_host jwt(chat_flow, json::object(), env);
  auto a = jwt.start(fake_host::head("POST", "/a/sales/chat", form_headers()), "message=hi");
  CHECK(a.last_effect()["headers"][2] == json::array({"apikey", "eyJhbGciOiJIUzI1NiJ9.x.y"}));
  CHECK(a.last_effect()["headers"][3] == json::array({"authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.x.y"}));
  env["SUPABASE_KEY"] = "sb_secret_abc";
  fake_host modern(chat_flow, json::object(), env);
  auto b = modern.start(fake_host::head("POST", "/a/sales/chat", form_headers()), "message=hi");
  CHECK(b.last_effect()["headers"].size() == 3);
}

TEST_CASE("chat: the page renders the agent's form and no inline script", "[chat]") {
  fake_host host(chat_flow, json{{"app", {{"name", "Shop <&>"}}}});
  auto log = host.start(fake_host::head("GET", "/a/sales/"));
  CHECK(log.status == 200);
  CHECK(log.body.find(R"(hx-post="/a/sales/chat")") != std::string::npos);
  CHECK(log.body.find(R"(data-agent="sales")") != std::string::npos);
  CHECK(log.body.find("Shop &lt;&amp;&gt;") != std::string::npos);
  CHECK(log.body.find("<script>") == std::string::npos);
  auto redirect = host.start(fake_host::head("GET", "/a/sales"));
  CHECK(redirect.status == 308);
  CHECK(redirect.header("location") == "/a/sales/");
}

TEST_CASE("chat: the page carries chat.input and ui.sse_enabled for page.js", "[chat]") {
  fake_host defaults(chat_flow);
  auto page = defaults.start(fake_host::head("GET", "/a/sales/"));
  CHECK(page.body.find(R"(data-submit-shortcut="ctrl+enter" data-enter-inserts-newline="true" data-debounce-ms="250" data-sse="true")") !=
        std::string::npos);
  CHECK(page.body.find("Ctrl+Enter to send · Enter for a new line") != std::string::npos);
  fake_host custom(chat_flow, json{{"chat", {{"input", {{"debounce_ms", 900}, {"enter_inserts_newline", false}}}}},
                                   {"ui", {{"sse_enabled", false}}}});
  auto other = custom.start(fake_host::head("GET", "/a/sales/"));
  CHECK(other.body.find(R"(data-enter-inserts-newline="false" data-debounce-ms="900" data-sse="false")") != std::string::npos);
  CHECK(other.body.find("Ctrl+Enter to send · Shift+Enter for a new line") != std::string::npos);
}

TEST_CASE("chat: with ui.sse_enabled false the partial asks for the whole answer instead of a stream", "[chat]") {
  fake_host host(chat_flow, json{{"ui", {{"sse_enabled", false}}}});
  auto log = host.start(fake_host::head("POST", "/a/sales/chat", form_headers()), "message=hi&session_key=visitor-0001");
  host.reply(log, log.last_effect()["id"], 200, begun);
  CHECK(log.status == 200);
  CHECK(log.body.find("sse-connect") == std::string::npos);
  CHECK(log.body.find(R"(data-answer-url="/a/sales/events/stream?stream_id=)") != std::string::npos);
}

TEST_CASE("chat: GET /a/{agent}/settings tells the widget chat.input and ui", "[chat]") {
  fake_host host(chat_flow, json{{"chat", {{"input", {{"submit_shortcut", "enter"}, {"enter_inserts_newline", false}}}}},
                                 {"ui", {{"sse_enabled", false}}}});
  auto log = host.start(fake_host::head("GET", "/a/sales/settings"));
  CHECK(log.status == 200);
  CHECK(log.effects.empty());
  json s = json::parse(log.body);
  CHECK(s["agent"] == "sales");
  CHECK(s["submit_shortcut"] == "enter");
  CHECK(s["enter_inserts_newline"] == false);
  CHECK(s["debounce_ms"] == 250);
  CHECK(s["sse_enabled"] == false);
  CHECK(s["max_message_chars"].is_number_integer());
  auto post = host.start(fake_host::head("POST", "/a/sales/settings", form_headers()), "");
  CHECK(post.status == 405);
  auto head = host.start(fake_host::head("HEAD", "/a/sales/settings"));
  CHECK(head.status == 200);
}

TEST_CASE("chat: a disabled agent is not found", "[chat]") {
  fake_host host(chat_flow, json{{"agents", {{"sales", {{"enabled", true}}}, {"support", {{"enabled", false}}}}}});
  CHECK(host.start(fake_host::head("GET", "/a/support/")).status == 404);
  CHECK(host.start(fake_host::head("GET", "/a/sales/")).status == 200);
}

TEST_CASE("chat: the trap route exists only when the host enables it", "[chat]") {
  fake_host host(chat_flow);
  CHECK(host.start(fake_host::head("GET", "/__salient/trap")).status == 404);
}

TEST_CASE("chat: a visitor who leaves while the message is stored is neither answered nor logged as a failure", "[chat]") {
  fake_host host(chat_flow);
  auto log = host.start(fake_host::head("POST", "/a/sales/chat", form_headers()), "message=hi");
  host.cancel(log);
  CHECK(log.cancelled == std::vector<std::uint32_t>{1});
  CHECK(log.logs.empty());
  CHECK(log.status == 0);
  CHECK(log.done);
}

TEST_CASE("chat: a 409 from begin_turn asks once more and answers with the stored turn", "[chat]") {
  fake_host host(chat_flow);
  auto log = host.start(fake_host::head("POST", "/a/sales/chat", {{"content-type", "application/json"}, {"accept", "application/json"}}),
                        R"({"message":"hi","session_key":"visitor-0001","idempotency_key":"idem-00001"})");
  std::string first_body = log.last_effect()["body"];
  host.reply(log, 1, 409, R"({"code":"23505","message":"duplicate key value violates unique constraint","details":null,"hint":null})");
  // The same arguments again (same message id: a store that did keep it names the same row).
  REQUIRE(log.effects.size() == 2);
  CHECK(log.effects[1]["body"] == first_body);
  CHECK(log.status == 0);
  host.reply(log, 2, 200, R"({"turn_id":"019a9b4e-0000-7000-8000-000000000001","session_id":"s","duplicate":true})");
  CHECK(log.status == 200);
  json doc = json::parse(log.body);
  CHECK(doc["message_id"] == "019a9b4e-0000-7000-8000-000000000001");
  CHECK(doc["duplicate"] == true);
}

TEST_CASE("chat: a second 409 is answered as a conflict, and an inactive tenant as forbidden", "[chat]") {
  fake_host host(chat_flow);
  auto log = host.start(fake_host::head("POST", "/a/sales/chat", form_headers()), "message=hi");
  host.reply(log, 1, 409, R"({"code":"23505"})");
  host.reply(log, 2, 409, R"({"code":"23505"})");
  CHECK(log.effects.size() == 2);
  CHECK(log.status == 409);
  auto inactive = host.start(fake_host::head("POST", "/a/sales/chat", form_headers()), "message=hi");
  host.reply(inactive, inactive.last_effect()["id"], 403, R"({"code":"PT403","message":"tenant default is not active"})");
  CHECK(inactive.status == 403);
  CHECK(inactive.body.find("not available") != std::string::npos);
  CHECK(inactive.body.find("tenant default") == std::string::npos);  // the database's words stay in the log
}

TEST_CASE("chat: an agent the tenant switched off in the store is a 404 that says so", "[chat]") {
  // Enabled in the config, but the tenant's tenant_agents row says no (salient_require_agent_enabled).
  const char* off = R"({"code":"PT404","message":"agent \"sales\" is not enabled for tenant \"default\"","details":null,"hint":null})";
  fake_host host(chat_flow);
  auto page = host.start(fake_host::head("POST", "/a/sales/chat", form_headers()), "message=hi");
  REQUIRE(page.effects.size() == 1);
  host.reply(page, page.last_effect()["id"], 404, off);
  CHECK(page.effects.size() == 1);  // not retried
  CHECK(page.status == 404);
  CHECK(page.body.find("this assistant is not enabled here") != std::string::npos);
  CHECK(page.body.find(R"(class="msg error")") != std::string::npos);  // an htmx fragment
  CHECK(page.body.find("tenant") == std::string::npos);  // the database's words stay in the store
  auto api = host.start(fake_host::head("POST", "/a/sales/chat", {{"content-type", "application/json"}, {"accept", "application/json"}}),
                        R"({"message":"hi"})");
  host.reply(api, api.last_effect()["id"], 404, off);
  CHECK(api.status == 404);
  CHECK(api.header("content-type") == "application/json");
  json doc = json::parse(api.body);
  CHECK(doc["error"]["code"] == "not_found");
  CHECK(doc["error"]["message"] == "this assistant is not enabled here");
}
