// The operator's pages and downloads (shared/render/admin_*.cpp): every page renders with the
// store's answers as the RPCs send them and with empty ones; every value a visitor, a model or
// the config supplied is escaped, a citation's link is only http(s), a session id reaches a URL
// only when uuid-shaped; the CSV is RFC 4180 with the formula prefix; the YAML's strings read
// back as they were (each double-quoted scalar is also a JSON string: nlohmann parses it back).
#include <catch2/catch_test_macros.hpp>

#include <cstdio>
#include <string>
#include <string_view>

#include "core/json.h"
#include "render/admin_pages.h"
#include "salient/core/entropy.h"

using namespace salient;
using detail::json;

namespace {

bool has(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

std::size_t count(std::string_view s, std::string_view part) {
  std::size_t n = 0;
  for (std::size_t at = s.find(part); at != std::string_view::npos; at = s.find(part, at + part.size())) ++n;
  return n;
}

// What a visitor, a model or a config could carry: markup, an attribute break-out, template tags.
const std::string hostile = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)> {{csrf}} {{{raw}}}";

constexpr std::string_view uuid = "3f2b8c1e-9a4d-4e2f-8b6a-1c2d3e4f5a6b";

admin_frame frame(std::string active = "dashboard") { return {"Brightleaf Gardens", "ops@brightleaf.example", "csrf-tok-123", std::move(active)}; }

/// What every page must be: a whole document on our stylesheets, with no script and nothing
/// hostile left as markup.
void check_page(const std::string& html) {
  REQUIRE(html.starts_with("<!doctype html>"));
  CHECK(has(html, "<html lang=\"en\">"));
  CHECK(has(html, "name=\"viewport\""));
  CHECK(has(html, "href=\"/assets/basecoat.min.css\""));
  CHECK(has(html, "href=\"/assets/admin.css\""));
  CHECK(html.ends_with("</html>\n"));
  CHECK_FALSE(has(html, "<script"));
  CHECK_FALSE(has(html, "<img"));
  CHECK_FALSE(has(html, "javascript:"));
  CHECK_FALSE(has(html, " style="));  // the CSP allows no inline style
}

/// A signed-in page: the nav, the active item, the sign-out form with the CSRF token.
void check_frame(const std::string& html, std::string_view active_href) {
  check_page(html);
  for (std::string_view href : {"/admin/", "/admin/conversations", "/admin/leads", "/admin/config", "/admin/warnings"})
    CHECK(has(html, "<a href=\"" + std::string(href) + "\""));
  CHECK(has(html, "<a href=\"" + std::string(active_href) + "\" aria-current=\"page\">"));
  CHECK(count(html, "aria-current=\"page\"") == 1);
  CHECK(has(html, "action=\"/admin/sign-out\""));
  CHECK(has(html, "<input type=\"hidden\" name=\"csrf\" value=\"csrf-tok-123\">"));
  CHECK(has(html, "ops@brightleaf.example"));
}

json daily_json() {
  json days = json::array();
  for (int d = 1; d <= 30; ++d) {
    char day[16];
    std::snprintf(day, sizeof day, "2026-11-%02d", d);
    days.push_back({{"day", day}, {"conversations", d % 7}, {"leads", d % 3}, {"handoffs", d % 2}, {"cost_usd", 0.25 * (d % 4)}});
  }
  return {{"days", days}, {"month_cost_usd", 12.5}};
}

json warnings_json() {
  return {{"warnings",
           {{{"ts_ms", 1796655840000}, {"level", "error"}, {"event", "store.unavailable"}, {"module", "stream"}, {"fields", {{"status", 503}}}},
            {{"ts_ms", 1796549400000}, {"level", "warn"}, {"event", hostile}, {"module", "chat"}, {"fields", {{"note", hostile}}}}}}};
}

json totals_json() {
  return json::parse(R"J({"llm":[{"agent":"sales","model":"openai/gpt-4o-mini","requests":120,"prompt_tokens":90000,
    "completion_tokens":12000,"cost_usd":1.75}],"first_token_ms":{"count":40,"p50":420,"p90":900,"p99":1500},
    "answer_ms":{"count":40,"p50":2100,"p90":4800,"p99":7000},"emails":[{"kind":"summary","status":"sent","count":9}],
    "conversations":57,"messages":410,"leads":12,"handoffs":[{"status":"open","count":2},{"status":"closed","count":5}],
    "rate_limited_ok":true})J");
}

json conversation_json() {
  json j = json::parse(R"J({"status":"found",
    "session":{"session_id":"3f2b8c1e-9a4d-4e2f-8b6a-1c2d3e4f5a6b","agent":"sales","session_key_hint":"a1b2c3",
      "started_ms":1796549400000,"last_activity_ms":1796655840000,"email":"ana@example.com","email_verified":true},
    "profile":{"customer_name":"Ana Lima","email":"ana@example.com","phone":"+351912345678","company":"Lima Arquitetura"},
    "messages":[
      {"id":1,"role":"user","content":"Hi!\nI need 40 olive trees.","created_ms":1796549400000,"citations":[]},
      {"id":2,"role":"assistant","content":"Happy to help [1].","created_ms":1796549460000,"citations":[
        {"n":1,"title":"Olive trees","heading":"Prices","url":"https://brightleaf.example/olives"},
        {"n":2,"title":"Bad link","url":"javascript:alert(1)"},
        {"n":3,"title":"Site path","url":"/olives"}]},
      {"id":3,"role":"team","content":"Ana from the team here.","created_ms":1796550000000,"citations":[]}],
    "summaries":[{"id":7,"created_ms":1796550000000,"trigger":"button","method":"model","outcome":"LEAD","status":"sent",
      "summary":"Wants 40 olive trees.","lead":{"name":"Ana Lima","email":"ana@example.com","outcome":"LEAD",
      "needs":["olive trees"],"interests":[],"evidence":["Can you send a quote?"],"next_step":"Send a quote","summary":"Wants 40 olive trees.","method":"model"}}],
    "emails":[{"id":4,"kind":"summary","to":"sales@brightleaf.example","subject":"New lead: Ana Lima (LEAD)","status":"sent",
      "created_ms":1796550000000,"sent_ms":1796550001000}],
    "handoffs":[{"id":9,"status":"open","created_ms":1796550000000,"reason":"wants a person"}],
    "lead":{"status":"contacted","notes":"Called on Monday","updated_ms":1796655840000,"updated_by":"ops@brightleaf.example"}})J");
  return j;
}

json leads_json() {
  return json::parse(R"J({"leads":[
    {"session_id":"3f2b8c1e-9a4d-4e2f-8b6a-1c2d3e4f5a6b","agent":"sales","name":"Ana Lima","email":"ana@example.com",
     "phone":"+351912345678","company":"Lima, \"Arquitetura\"","outcome":"LEAD","summary":"Wants 40 olive trees.\nQuote by Friday.",
     "status":"won","notes":"=HYPERLINK(\"http://evil.example\",\"x\")","created_ms":1796549400000,"updated_ms":null,
     "last_activity_ms":1796655840000},
    {"session_id":"not-a-uuid\"><script>","agent":"sales","name":"@SUM(A1)","email":null,"phone":"-1","company":"",
     "outcome":"CALLBACK","summary":"","status":null,"notes":null,"created_ms":null,"updated_ms":null,"last_activity_ms":null}]})J");
}

}  // namespace

TEST_CASE("admin: times are UTC minutes; only uuid-shaped ids reach a link", "[admin_pages]") {
  CHECK(admin_utc_minute(0) == "1970-01-01 00:00");
  CHECK(admin_utc_minute(1796655840000) == "2026-12-07 15:04");
  CHECK(admin_utc_minute(1796655899999) == "2026-12-07 15:04");
  CHECK(admin_utc_minute(1709208000000) == "2024-02-29 12:00");
  CHECK(admin_utc_minute(253402300740000) == "9999-12-31 23:59");
  CHECK(admin_utc_minute(-1).empty());
  CHECK(admin_utc_minute(253402300800000).empty());
  CHECK(is_uuid(uuid));
  CHECK(is_uuid("3F2B8C1E-9A4D-4E2F-8B6A-1C2D3E4F5A6B"));
  CHECK_FALSE(is_uuid("3f2b8c1e-9a4d-4e2f-8b6a-1c2d3e4f5a6"));
  CHECK_FALSE(is_uuid("3f2b8c1e-9a4d-4e2f-8b6a-1c2d3e4f5a6g"));
  CHECK_FALSE(is_uuid("3f2b8c1e/9a4d-4e2f-8b6a-1c2d3e4f5a6b"));
  CHECK_FALSE(is_uuid("../../admin/config-0000-000000000000"));
}

TEST_CASE("admin: the sign-in pages have no nav and escape what they show", "[admin_pages]") {
  std::string on = render_admin_sign_in(hostile, hostile, true);
  check_page(on);
  CHECK(has(on, "action=\"/admin/sign-in\""));
  CHECK(has(on, "type=\"email\" name=\"email\""));
  CHECK(has(on, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&apos;&gt;&lt;img"));
  CHECK(has(on, "role=\"alert\""));
  CHECK_FALSE(has(on, "admin-nav"));
  CHECK_FALSE(has(on, "sign-out"));

  std::string off = render_admin_sign_in("Brightleaf Gardens", "", false);
  check_page(off);
  CHECK(has(off, "admin.emails"));
  CHECK_FALSE(has(off, "<form"));
  CHECK_FALSE(has(off, "role=\"alert\""));

  std::string code = render_admin_code_form("Brightleaf Gardens", "ana\"><b>@example.com", "");
  check_page(code);
  CHECK(has(code, "action=\"/admin/verify\""));
  CHECK(has(code, "<input type=\"hidden\" name=\"email\" value=\"ana&quot;&gt;&lt;b&gt;@example.com\">"));
  CHECK(has(code, "autocomplete=\"one-time-code\""));
  CHECK(has(code, "Use another address"));
  CHECK(has(render_admin_code_form("B", "a@b.example", "That code is not right."), "That code is not right."));

  std::string msg = render_admin_message("Brightleaf Gardens", "Not found", hostile);
  check_page(msg);
  CHECK(has(msg, "<h1>Not found</h1>"));
  CHECK(has(msg, "&lt;script&gt;"));
  CHECK_FALSE(has(msg, "<form"));
}

TEST_CASE("admin: the dashboard draws the days as SVG with a table beside it", "[admin_pages]") {
  std::string html = render_admin_dashboard(frame(), daily_json(), 50, warnings_json(), totals_json());
  check_frame(html, "/admin/");
  CHECK(count(html, "<svg class=\"admin-chart\"") == 2);
  CHECK(count(html, "<rect class=\"bar conversations\"") == 30);
  CHECK(count(html, "<rect class=\"bar leads\"") == 30);
  CHECK(count(html, "<rect class=\"bar handoffs\"") == 30);
  CHECK(count(html, "<rect class=\"bar spend\"") == 30);
  CHECK(has(html, "<title>2026-11-06: 6 conversations</title>"));
  CHECK(has(html, "<title>2026-11-03: $0.75 spent</title>"));
  CHECK(has(html, "class=\"budget-line\""));
  CHECK(has(html, "Monthly budget ÷ 30 days: $1.67 a day"));
  CHECK(has(html, "<strong>$12.50</strong> of the $50.00 monthly budget (25 %)"));
  CHECK(has(html, "<meter"));
  CHECK(count(html, "<tr><th scope=\"row\" data-label=\"Day\">2026-11-") == 30);
  CHECK(has(html, ">57<"));   // conversations
  CHECK(has(html, "$1.75"));  // model spend
  CHECK(has(html, "2100 ms"));
  CHECK(has(html, "open 2 · closed 5"));
  CHECK(has(html, "store.unavailable"));
  CHECK(has(html, "2026-12-07 15:04"));
  CHECK(has(html, "&lt;script&gt;"));

  std::string empty = render_admin_dashboard(frame(), json::object(), 0, json::object(), json::object());
  check_frame(empty, "/admin/");
  CHECK_FALSE(has(empty, "<svg"));
  CHECK(has(empty, "No activity to show yet."));
  CHECK(has(empty, "No warnings or errors recorded."));

  json one_day = {{"days", {{{"day", "2026-02-01"}, {"conversations", 0}, {"leads", 0}, {"handoffs", 0}, {"cost_usd", 0}}}},
                  {"month_cost_usd", 0}};
  std::string zero = render_admin_dashboard(frame(), one_day, 0, json::object(), json::object());
  CHECK(count(zero, "<rect class=\"bar") == 4);
  CHECK_FALSE(has(zero, "budget-line"));
  CHECK(has(zero, "no monthly budget is set"));
  for (std::string_view bad : {"=\"nan", "=\"-nan", "=\"inf", "=\"-inf"}) CHECK_FALSE(has(zero, bad));
}

TEST_CASE("admin: the conversation list links uuids only and keeps the search in the older link", "[admin_pages]") {
  json list = json::parse(R"J({"conversations":[
    {"session_id":"3f2b8c1e-9a4d-4e2f-8b6a-1c2d3e4f5a6b","agent":"sales","started_ms":1796549400000,"last_activity_ms":1796655840000,
     "message_count":14,"email":"ana@example.com","name":"Ana Lima","outcome":"LEAD","lead_status":"new","handoff":"open",
     "first_message":"Hi! I need 40 olive trees."},
    {"session_id":"javascript:alert(1)","agent":"sales","started_ms":null,"last_activity_ms":null,"message_count":1,
     "email":null,"name":null,"outcome":null,"lead_status":null,"handoff":null,"first_message":"<script>x</script>"}],
    "next_before_ms":1796549400000})J");
  std::string html = render_admin_conversations(frame("conversations"), list, "olive & \"trees\"", "LEAD");
  check_frame(html, "/admin/conversations");
  CHECK(has(html, "<a href=\"/admin/conversations/3f2b8c1e-9a4d-4e2f-8b6a-1c2d3e4f5a6b\">2026-12-07 15:04</a>"));
  CHECK(count(html, "href=\"/admin/conversations/") == 1);
  CHECK(has(html, "Anonymous visitor"));
  CHECK(has(html, "&lt;script&gt;x&lt;/script&gt;"));
  CHECK(has(html, "value=\"olive &amp; &quot;trees&quot;\""));
  CHECK(has(html, "<option value=\"LEAD\" selected>"));
  CHECK(has(html, "href=\"/admin/conversations?q=olive%20%26%20%22trees%22&amp;outcome=LEAD&amp;before=1796549400000\""));
  CHECK(has(html, "method=\"get\" action=\"/admin/conversations\""));

  std::string empty = render_admin_conversations(frame("conversations"), json::object(), "", "");
  check_frame(empty, "/admin/conversations");
  CHECK(has(empty, "No conversations yet."));
  CHECK_FALSE(has(empty, "Older conversations"));
  CHECK(has(empty, "<option value=\"\" selected>"));
}

TEST_CASE("admin: one conversation shows every role, safe citations, the lead and its form", "[admin_pages]") {
  std::string html = render_admin_conversation(frame("conversations"), conversation_json());
  check_frame(html, "/admin/conversations");
  CHECK(has(html, "Hi!\nI need 40 olive trees."));  // the line break is kept (white-space: pre-wrap)
  CHECK(has(html, ">Visitor<"));
  CHECK(has(html, ">Assistant<"));
  CHECK(has(html, "<article class=\"admin-msg team\">"));
  CHECK(has(html, "<li value=\"1\"><a href=\"https://brightleaf.example/olives\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">Olive trees</a>"));
  CHECK(has(html, "<li value=\"2\">Bad link</li>"));
  CHECK(has(html, "<li value=\"3\">Site path</li>"));
  CHECK(has(html, "<h2 id=\"lead-title\">New lead</h2>"));
  CHECK(has(html, "<a href=\"mailto:ana@example.com\">ana@example.com</a> <span class=\"badge\" data-variant=\"secondary\">verified</span>"));
  CHECK(has(html, "+351912345678"));
  CHECK(has(html, "Lima Arquitetura"));
  CHECK(has(html, "method=\"post\" action=\"/admin/leads/3f2b8c1e-9a4d-4e2f-8b6a-1c2d3e4f5a6b\""));
  CHECK(has(html, "<option value=\"contacted\" selected>"));
  CHECK(has(html, ">Called on Monday</textarea>"));
  CHECK(has(html, "Updated 2026-12-07 15:04 by ops@brightleaf.example"));
  CHECK(has(html, "New lead: Ana Lima (LEAD)"));
  CHECK(has(html, "<dt>Reason</dt><dd>wants a person</dd>"));
  CHECK(count(html, "<dt>status</dt>") == 0);
  CHECK(has(html, "2026-12-06 09:30"));

  json evil = conversation_json();
  evil["session"]["session_id"] = "x\"><script>alert(1)</script>";
  evil["messages"][0]["content"] = hostile;
  evil["messages"][0]["role"] = "<b>";
  evil["lead"]["notes"] = "</textarea><script>alert(1)</script>";
  evil["handoffs"][0]["reason"] = hostile;
  std::string bad = render_admin_conversation(frame("conversations"), evil);
  check_page(bad);
  CHECK_FALSE(has(bad, "/admin/leads/x"));  // no form for an id that is not a uuid
  CHECK(has(bad, "<article class=\"admin-msg other\">"));
  CHECK(has(bad, "&lt;b&gt;"));

  std::string empty = render_admin_conversation(frame("conversations"), json::object());
  check_frame(empty, "/admin/conversations");
  CHECK(has(empty, "This conversation has no messages."));
  CHECK(has(empty, "No summaries."));
  CHECK_FALSE(has(empty, "action=\"/admin/leads/"));
}

TEST_CASE("admin: the leads table has a form per lead, the CSV link and the erase form", "[admin_pages]") {
  std::string html = render_admin_leads(frame("leads"), leads_json(), "");
  check_frame(html, "/admin/leads");
  CHECK(has(html, "href=\"/admin/leads.csv\""));
  CHECK(count(html, "<form class=\"admin-lead-form\" method=\"post\" action=\"/admin/leads/") == 1);
  CHECK(has(html, "action=\"/admin/leads/3f2b8c1e-9a4d-4e2f-8b6a-1c2d3e4f5a6b\""));
  CHECK(has(html, "<option value=\"won\" selected>"));
  CHECK(has(html, "=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)</textarea>"));
  CHECK(has(html, "@SUM(A1)"));
  CHECK(has(html, "not-a-uuid") == false);
  CHECK(has(html, "method=\"post\" action=\"/admin/erase\""));
  CHECK(count(html, "name=\"csrf\" value=\"csrf-tok-123\"") == 3);  // sign-out, the lead, erase

  std::string empty = render_admin_leads(frame("leads"), json::object(), "won");
  check_frame(empty, "/admin/leads");
  CHECK(has(empty, "No leads with this status."));
  CHECK(has(empty, "action=\"/admin/erase\""));
}

TEST_CASE("admin: erase result, configuration and warnings pages", "[admin_pages]") {
  json erased = {{"status", "erased"}, {"erased", {{"sessions", 2}, {"messages", 31}, {"summaries", 1}, {"profiles", 1}, {"emails", 0}}}};
  std::string done = render_admin_erase_result(frame("leads"), "ana<b>@example.com", erased);
  check_frame(done, "/admin/leads");
  CHECK(has(done, "ana&lt;b&gt;@example.com"));
  CHECK(has(done, "<li>2 conversations</li>"));
  CHECK(has(done, "<li>31 messages</li>"));
  CHECK(has(done, "<li>1 conversation summary</li>"));
  CHECK(has(render_admin_erase_result(frame("leads"), "a@b.example", json::object()), "there was nothing to erase"));

  json cfg = {{"app", {{"name", hostile}, {"allowed_origins", {"https://a.example", "https://b.example"}}}},
              {"handoff", {{"team", {{{"email", "ana@brightleaf.example"}, {"name", "Ana"}}}}, {"reply_days", 30}}},
              {"email", {{"from", ""}, {"mock", nullptr}}}};
  std::string page = render_admin_config(frame("config"), cfg, {{"SALIENT_OTP_SECRET", true}, {"OPENROUTER_API_KEY", false}});
  check_frame(page, "/admin/config");
  CHECK(has(page, "href=\"/admin/config.yaml\""));
  CHECK(has(page, "<code>SALIENT_OTP_SECRET</code> <span class=\"badge\" data-variant=\"secondary\">set</span>"));
  CHECK(has(page, "<code>OPENROUTER_API_KEY</code> <span class=\"badge\" data-variant=\"outline\">not set</span>"));
  CHECK(has(page, "<code>team[0].email</code>"));
  CHECK(has(page, "https://a.example, https://b.example"));
  CHECK(has(page, "<code>reply_days</code></th><td><code class=\"admin-text\">30</code>"));
  CHECK(has(page, "&lt;script&gt;"));
  check_frame(render_admin_config(frame("config"), json::object(), {}), "/admin/config");

  std::string warn = render_admin_warnings(frame("warnings"), warnings_json());
  check_frame(warn, "/admin/warnings");
  CHECK(has(warn, "<span class=\"badge\" data-variant=\"destructive\">error</span>"));
  CHECK(has(warn, "{&quot;status&quot;:503}"));
  CHECK(has(warn, "&lt;script&gt;"));
  CHECK(has(render_admin_warnings(frame("warnings"), json::object()), "No warnings or errors recorded."));
}

TEST_CASE("admin: the leads CSV is RFC 4180 with formulas defused", "[admin_pages]") {
  std::string csv = admin_leads_csv(leads_json());
  CHECK(csv.starts_with(
      "\"session_id\",\"agent\",\"name\",\"email\",\"phone\",\"company\",\"outcome\",\"status\",\"notes\",\"summary\","
      "\"created_utc\",\"updated_utc\",\"last_activity_utc\"\r\n"));
  CHECK(has(csv, "\"Lima, \"\"Arquitetura\"\"\""));
  CHECK(has(csv, "\"Wants 40 olive trees.\nQuote by Friday.\""));  // a line break stays inside its quotes
  CHECK(has(csv, "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\""));
  CHECK(has(csv, "\"'@SUM(A1)\""));
  CHECK(has(csv, "\"'-1\""));
  CHECK(has(csv, "\"'+351912345678\""));
  CHECK(has(csv, "\"2026-12-06 09:30\",\"\",\"2026-12-07 15:04\"\r\n"));
  CHECK(has(csv, ",\"new\","));  // no status yet reads as new
  CHECK(csv.ends_with("\r\n"));
  CHECK(count(csv, "\r\n") == 3);
  CHECK(admin_leads_csv(json::object()) == "\"session_id\",\"agent\",\"name\",\"email\",\"phone\",\"company\",\"outcome\","
                                           "\"status\",\"notes\",\"summary\",\"created_utc\",\"updated_utc\",\"last_activity_utc\"\r\n");
  std::string tabs = admin_leads_csv(json{{"leads", {{{"name", "\tx"}, {"company", "\ry"}}}}});
  CHECK(has(tabs, "\"'\tx\""));
  CHECK(has(tabs, "\"'\ry\""));
}

TEST_CASE("admin: the config YAML is block style, every string double-quoted", "[admin_pages]") {
  json cfg = json::parse(R"J({"app":{"name":"Brightleaf","tenant":"bl"},"limits":{"ratio":0.25,"on":true,"max":3000,"off":null},
    "list":[1,"two",[3,4],{"a":1,"b":[]}],"empty":{},"yes":"no","9lives":"x"})J");
  std::string expected =
      "# The effective configuration (secrets are not part of it: they are set in the environment).\n"
      "\"9lives\": \"x\"\n"
      "app:\n"
      "  name: \"Brightleaf\"\n"
      "  tenant: \"bl\"\n"
      "empty: {}\n"
      "limits:\n"
      "  max: 3000\n"
      "  \"off\": null\n"
      "  \"on\": true\n"
      "  ratio: 0.25\n"
      "list:\n"
      "  - 1\n"
      "  - \"two\"\n"
      "  - - 3\n"
      "    - 4\n"
      "  - a: 1\n"
      "    b: []\n"
      "\"yes\": \"no\"\n";
  CHECK(admin_config_yaml(cfg) == expected);
  CHECK(admin_config_yaml(json::object()) ==
        "# The effective configuration (secrets are not part of it: they are set in the environment).\n{}\n");

  // Each tricky string comes back as it was: the scalar after "k: " parses as a JSON string, and
  // holds no raw line break, '#' starting a comment, or control character.
  for (std::string tricky : {std::string("say \"hi\"\\ \n\r\t done"), std::string("key: value # not a comment"),
                             std::string("- not a list"), std::string("ünïcødé ✓ 日本語 🌿"), std::string("\x01\x1f\x7f"),
                             std::string("line\xe2\x80\xa8sep\xc2\x85nel\xef\xbb\xbf"), std::string(""), std::string("@&*!|>%`'"),
                             std::string("true"), std::string("123")}) {
    std::string yaml = admin_config_yaml(json{{"k", tricky}});
    std::string line = yaml.substr(yaml.find("\nk: ") + 4);
    REQUIRE(line.ends_with("\n"));
    line.pop_back();
    CHECK_FALSE(has(line, "\n"));
    for (char c : line) CHECK((static_cast<unsigned char>(c) >= 0x20 && c != 0x7f));
    auto back = detail::parse_json(line);
    REQUIRE(back);
    CHECK(*back == json(tricky));
    CHECK(line.starts_with("\""));
  }
  CHECK(has(admin_config_yaml(json{{"e", 1e-7}, {"f", 2.5}}), "e: 1.0e-07\nf: 2.5\n"));  // a '.' for YAML 1.1 readers
  CHECK(has(admin_config_yaml(json{{"k", "a\xe2\x80\xa8"}}), "\"a\\u2028\""));
  CHECK(has(admin_config_yaml(json{{"k", "\x7f\xc2\x85"}}), "\"\\u007f\\u0085\""));
  CHECK(has(admin_config_yaml(json{{"k", std::string("bad\xff")}}), "\"bad\xef\xbf\xbd\""));
}
