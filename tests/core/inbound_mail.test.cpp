// Mailgun's inbound post (shared/flows/handoff/inbound_mail.cpp): the signature against Mailgun's
// documented algorithm, both body encodings, Mailgun's SPF verdict with the envelope aligned to
// the From, reply addresses, From addresses, the stored reply text and the reply ids.
#include <catch2/catch_test_macros.hpp>

#include <set>
#include <string>

#include "flows/handoff/inbound_mail.h"
#include "salient/core/multipart.h"

using namespace salient;
using namespace salient::handoff;

namespace {

// Mailgun's algorithm computed outside this code base:
//   printf '%s' "1765090000${token}" | openssl dgst -sha256 -hmac "$key"
// (OpenSSL 3, the message being timestamp followed by token, the key as its ASCII bytes).
constexpr std::string_view key = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0";
constexpr std::string_view timestamp = "1765090000";
constexpr std::string_view token = "4f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2918273";  // 50 characters
constexpr std::string_view signature = "af0af2301fc9bc1b701ebc43362680b4a1f01e8749ab158af5c82700f6163a58";
constexpr std::int64_t signed_at = 1765090000;

constexpr std::string_view headers_json =
    R"([["X-Mailgun-Spf","Pass"],["X-Mailgun-Dkim-Check-Result","Pass"],["Message-Id","<r1@mail.example>"],)"
    R"(["In-Reply-To","<t1@mg.example.com>"],["Subject","Re: Ana asked for a person"]])";

using fields = std::vector<std::pair<std::string, std::string>>;

fields mailgun_fields() {
  return {{"recipient", "reply+abcdefghijklmnopqrstuvwxyz@mg.example.com"},
          {"sender", "bo@team.example"},
          {"from", "Bo Chen <Bo@Team.example>"},
          {"From", "Bo Chen <Bo@Team.example>"},
          {"subject", "Re: Ana asked for a person"},
          {"body-plain", "Yes, we deliver on Saturdays.\r\n\r\nOn Mon, … wrote:\r\n> Hi"},
          {"stripped-text", "Yes, we deliver on Saturdays."},
          {"message-headers", std::string(headers_json)},
          {"Message-Id", "<r1@mail.example>"},
          {"In-Reply-To", "<t1@mg.example.com>"},
          {"References", "<t1@mg.example.com>"},
          {"timestamp", std::string(timestamp)},
          {"token", std::string(token)},
          {"signature", std::string(signature)}};
}

request urlencoded(const fields& f) {
  request req;
  req.method = "POST";
  req.headers = {{"content-type", "application/x-www-form-urlencoded"}};
  for (const auto& [k, v] : f) req.body += (req.body.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v);
  return req;
}

request multipart(const fields& f, const std::vector<form_part>& files = {}) {
  std::vector<form_part> parts;
  for (const auto& [k, v] : f) parts.push_back({k, v, {}, {}});
  parts.insert(parts.end(), files.begin(), files.end());
  auto body = encode_multipart(parts, "mg-boundary-7f3a");
  REQUIRE(body.ok());
  request req;
  req.method = "POST";
  req.headers = {{"content-type", "multipart/form-data; boundary=\"mg-boundary-7f3a\""}};
  req.body = *body;
  return req;
}

fields with(fields f, const std::string& name, const std::string& value) {
  for (auto& [k, v] : f)
    if (k == name) v = value;
  return f;
}

fields without(fields f, const std::string& name) {
  std::erase_if(f, [&](const auto& kv) { return kv.first == name; });
  return f;
}

/// The bad_request message of parsing `req`.
std::string rejection(const request& req) {
  auto m = parse_inbound(req);
  REQUIRE_FALSE(m.ok());
  CHECK(m.err().kind == errc::bad_request);
  return m.err().message;
}

inbound_mail signed_mail() {
  inbound_mail m;
  m.timestamp = timestamp;
  m.token = token;
  m.signature = signature;
  return m;
}

inbound_mail with_headers(fields headers) {
  inbound_mail m;
  m.headers = std::move(headers);
  return m;
}

}  // namespace

TEST_CASE("inbound mail: a signature made as Mailgun documents it verifies", "[inbound]") {
  inbound_mail m = signed_mail();
  CHECK(verify_signature(key, m, signed_at) == signature_status::ok);
  CHECK(verify_signature(key, m, signed_at + 300) == signature_status::ok);
  CHECK(verify_signature(key, m, signed_at - 300) == signature_status::ok);
  std::string upper(signature);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  m.signature = upper;  // hex digits in either case
  CHECK(verify_signature(key, m, signed_at) == signature_status::ok);
}

TEST_CASE("inbound mail: a stale or future timestamp is stale, told only for a matching MAC", "[inbound]") {
  inbound_mail m = signed_mail();
  CHECK(verify_signature(key, m, signed_at + 301) == signature_status::stale);   // a replay after 5 minutes
  CHECK(verify_signature(key, m, signed_at - 301) == signature_status::stale);   // from the future
  CHECK(verify_signature(key, m, signed_at + 3600, 7200) == signature_status::ok);  // max_age_s is the caller's
  m.signature[0] = m.signature[0] == 'a' ? 'b' : 'a';
  CHECK(verify_signature(key, m, signed_at + 301) == signature_status::bad_signature);
}

TEST_CASE("inbound mail: a wrong key, a tampered field or a malformed signature is bad_signature", "[inbound]") {
  CHECK(verify_signature("key-other", signed_mail(), signed_at) == signature_status::bad_signature);
  CHECK(verify_signature("", signed_mail(), signed_at) == signature_status::bad_signature);
  CHECK(verify_signature(std::string(key) + " ", signed_mail(), signed_at) == signature_status::bad_signature);

  inbound_mail m = signed_mail();
  m.token.back() = m.token.back() == '3' ? '4' : '3';
  CHECK(verify_signature(key, m, signed_at) == signature_status::bad_signature);
  m = signed_mail();
  m.token += "0";
  CHECK(verify_signature(key, m, signed_at) == signature_status::bad_signature);
  m = signed_mail();
  m.timestamp = "1765090001";  // one second moved from the token to the timestamp would not help either
  CHECK(verify_signature(key, m, signed_at) == signature_status::bad_signature);
  m = signed_mail();
  m.timestamp = "17650900.0";
  CHECK(verify_signature(key, m, signed_at) == signature_status::bad_signature);
  m.timestamp = "-1765090000";
  CHECK(verify_signature(key, m, signed_at) == signature_status::bad_signature);

  for (std::string bad : {std::string("zz") + std::string(signature.substr(2)), std::string(signature.substr(0, 62)),
                          std::string(signature) + "00", std::string(signature.substr(0, 63)) + " ",
                          std::string(signature.substr(0, 32)) + ":" + std::string(signature.substr(33)), std::string()}) {
    m = signed_mail();
    m.signature = bad;
    CHECK(verify_signature(key, m, signed_at) == signature_status::bad_signature);
  }
}

TEST_CASE("inbound mail: an urlencoded post is read field by field", "[inbound]") {
  auto m = parse_inbound(urlencoded(mailgun_fields()));
  REQUIRE(m.ok());
  CHECK(m->recipient == "reply+abcdefghijklmnopqrstuvwxyz@mg.example.com");
  CHECK(m->sender == "bo@team.example");
  CHECK(m->from == "Bo Chen <Bo@Team.example>");
  CHECK(m->subject == "Re: Ana asked for a person");
  CHECK(m->stripped_text == "Yes, we deliver on Saturdays.");
  CHECK(m->body_plain.starts_with("Yes, we deliver on Saturdays.\r\n\r\nOn Mon"));
  CHECK(m->message_id == "<r1@mail.example>");
  CHECK(m->in_reply_to == "<t1@mg.example.com>");
  CHECK(m->references == "<t1@mg.example.com>");
  CHECK(m->attachment_count == 0);
  REQUIRE(m->headers.size() == 5);
  CHECK(m->headers[0] == std::pair<std::string, std::string>{"X-Mailgun-Spf", "Pass"});
  CHECK(m->headers[4].second == "Re: Ana asked for a person");
  CHECK(verify_signature(key, *m, signed_at) == signature_status::ok);
  CHECK(sender_authenticated(*m));
  CHECK(reply_id_of(m->recipient, "mg.example.com") == "abcdefghijklmnopqrstuvwxyz");
  CHECK(address_of(m->from) == "bo@team.example");
  CHECK(m->has_stripped_text);
  CHECK(reply_text_of(*m) == "Yes, we deliver on Saturdays.");
  m = parse_inbound(urlencoded(with(mailgun_fields(), "stripped-text", "")));
  REQUIRE(m.ok());
  CHECK(m->has_stripped_text);
  CHECK(reply_text_of(*m).empty());
  m = parse_inbound(urlencoded(without(mailgun_fields(), "stripped-text")));
  REQUIRE(m.ok());
  CHECK_FALSE(m->has_stripped_text);
  CHECK(reply_text_of(*m).starts_with("Yes, we deliver on Saturdays.\n\nOn Mon"));
}

TEST_CASE("inbound mail: a multipart post reads the same and counts its attachments", "[inbound]") {
  auto a = parse_inbound(urlencoded(mailgun_fields()));
  auto m = parse_inbound(multipart(mailgun_fields(), {{"attachment-1", "\x89PNG\r\n\x1a\n\xff", "a.png", "image/png"},
                                                      {"attachment-2", "%PDF", "b.pdf", "application/pdf"}}));
  REQUIRE(m.ok());
  REQUIRE(a.ok());
  CHECK(m->attachment_count == 2);  // binary file parts are counted, never read as text
  CHECK(m->stripped_text == a->stripped_text);
  CHECK(m->body_plain == a->body_plain);
  CHECK(m->headers == a->headers);
  CHECK(verify_signature(key, *m, signed_at) == signature_status::ok);

  // Mailgun's own count, when larger (a post that stored the attachments elsewhere).
  fields f = mailgun_fields();
  f.emplace_back("attachment-count", "3");
  m = parse_inbound(multipart(f));
  REQUIRE(m.ok());
  CHECK(m->attachment_count == 3);
  m = parse_inbound(urlencoded(f));
  REQUIRE(m.ok());
  CHECK(m->attachment_count == 3);
  CHECK(rejection(urlencoded(with(f, "attachment-count", "3x"))).find("attachment-count") != std::string::npos);
  CHECK(rejection(urlencoded(with(f, "attachment-count", "99999"))).find("attachment-count") != std::string::npos);

  // A broken multipart body is the parser's bad_request.
  request broken = multipart(mailgun_fields());
  broken.body.resize(broken.body.size() - 10);
  CHECK_FALSE(parse_inbound(broken).ok());
}

TEST_CASE("inbound mail: the signature fields are required, once each", "[inbound]") {
  for (std::string name : {"timestamp", "token", "signature"}) {
    CHECK(rejection(urlencoded(without(mailgun_fields(), name))) == "field " + name + " is missing");
    CHECK(rejection(urlencoded(with(mailgun_fields(), name, ""))) == "field " + name + " is missing");
    fields twice = mailgun_fields();
    twice.emplace_back(name, "1");
    CHECK(rejection(multipart(twice)) == "field " + name + " is repeated");
  }
  // Everything else may be absent (the flow decides what a post without a recipient means).
  fields minimal = {{"timestamp", "1"}, {"token", "t"}, {"signature", "s"}};
  auto m = parse_inbound(urlencoded(minimal));
  REQUIRE(m.ok());
  CHECK(m->recipient.empty());
  CHECK(m->headers.empty());
  CHECK(reply_text_of(*m).empty());
}

TEST_CASE("inbound mail: malformed, oversized and non-text fields are refused by name", "[inbound]") {
  for (std::string bad : {"not json", "{}", R"([["a"]])", R"([["a","b","c"]])", R"([["a",1]])", R"([[null,"b"]])",
                          R"(["a","b"])", R"([["a","b\u0000c"]])"})
    CHECK(rejection(urlencoded(with(mailgun_fields(), "message-headers", bad))) ==
          "field message-headers is not a JSON list of [name, value]");
  CHECK(parse_inbound(urlencoded(with(mailgun_fields(), "message-headers", "[]"))).ok());

  CHECK(rejection(urlencoded(with(mailgun_fields(), "body-plain", "caf\xe9"))) == "field body-plain is not valid UTF-8 text");
  CHECK(rejection(urlencoded(with(mailgun_fields(), "from", std::string("a\0b", 3)))) == "field from is not valid UTF-8 text");
  CHECK(rejection(multipart(with(mailgun_fields(), "stripped-text", "\xed\xa0\x80"))) ==
        "field stripped-text is not valid UTF-8 text");  // a surrogate
  CHECK(rejection(urlencoded(with(mailgun_fields(), "stripped-text", std::string(max_inbound_field_bytes + 1, 'a')))) ==
        "field stripped-text is larger than 1 MB");
  CHECK(parse_inbound(urlencoded(with(mailgun_fields(), "stripped-text", std::string(max_inbound_field_bytes, 'a')))).ok());
  // Headers are parsed before the signature is checked: an unsigned post gets no large JSON tree.
  std::string many = "[" + std::string(300 * 1024, ' ') + "]";
  CHECK(rejection(urlencoded(with(mailgun_fields(), "message-headers", many))) ==
        "field message-headers is larger than 256 KB");

  request req = urlencoded(mailgun_fields());
  req.headers = {{"content-type", "application/json"}};
  auto r = parse_inbound(req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().kind == errc::unsupported_media_type);
  req.headers.clear();
  CHECK(parse_inbound(req).err().kind == errc::unsupported_media_type);
  req = urlencoded(mailgun_fields());
  req.body_truncated = true;
  CHECK(parse_inbound(req).err().kind == errc::payload_too_large);
  req = urlencoded(mailgun_fields());
  req.body += "&bad=%zz";
  CHECK(parse_inbound(req).err().kind == errc::bad_request);
}

TEST_CASE("inbound mail: threading fields in any case, else from message-headers", "[inbound]") {
  fields f = without(without(without(mailgun_fields(), "Message-Id"), "In-Reply-To"), "References");
  f.emplace_back("Message-ID", "<r2@mail.example>");
  auto m = parse_inbound(urlencoded(f));
  REQUIRE(m.ok());
  CHECK(m->message_id == "<r2@mail.example>");
  CHECK(m->in_reply_to == "<t1@mg.example.com>");  // from message-headers
  CHECK(m->references.empty());
}

TEST_CASE("inbound mail: Mailgun's SPF pass for an envelope sender of the From's domain", "[inbound]") {
  auto mail = [](fields headers, std::string sender = "bo@team.example", std::string from = "Bo <Bo@Team.example>") {
    inbound_mail m = with_headers(std::move(headers));
    m.sender = std::move(sender), m.from = std::move(from);
    return m;
  };
  CHECK(sender_authenticated(mail({{"X-Mailgun-Spf", "Pass"}})));
  CHECK(sender_authenticated(mail({{"x-mailgun-spf", " pass "}}, "bounces+x=y@team.example")));
  // SPF vouches for the envelope only: an attacker's own domain passes it, with a team From.
  CHECK_FALSE(sender_authenticated(mail({{"X-Mailgun-Spf", "Pass"}}, "mailer@attacker.example")));
  CHECK_FALSE(sender_authenticated(mail({{"X-Mailgun-Spf", "Pass"}}, "bo@sub.team.example")));
  CHECK_FALSE(sender_authenticated(mail({{"X-Mailgun-Spf", "Pass"}}, "")));
  CHECK_FALSE(sender_authenticated(mail({{"X-Mailgun-Spf", "Pass"}}, "bo@team.example", "")));
  // DKIM's pass names no domain (any signature passes): not enough on its own.
  CHECK_FALSE(sender_authenticated(mail({{"X-Mailgun-Spf", "Fail"}, {"X-Mailgun-Dkim-Check-Result", "Pass"}})));
  CHECK_FALSE(sender_authenticated(mail({{"X-Mailgun-Dkim-Check-Result", "Pass"}})));
  CHECK_FALSE(sender_authenticated(mail({{"X-Mailgun-Spf", "SoftFail"}})));
  CHECK_FALSE(sender_authenticated(mail({{"X-Mailgun-Spf", "Passed"}})));
  CHECK_FALSE(sender_authenticated(mail({})));
  // Only the topmost copy counts: a sender can write a header of that name lower down.
  CHECK_FALSE(sender_authenticated(mail({{"X-Mailgun-Spf", "Fail"}, {"X-Mailgun-Spf", "Pass"}})));
  // An Authentication-Results header may be the sender's own: never read.
  CHECK_FALSE(sender_authenticated(mail({{"Authentication-Results", "mx.example; spf=pass smtp.mailfrom=team.example"}})));
}

TEST_CASE("inbound mail: reply addresses give their id, lower-cased", "[inbound]") {
  constexpr std::string_view id = "abcdefghijklmnopqrstuvwxyz";
  CHECK(reply_id_of("reply+abcdefghijklmnopqrstuvwxyz@mg.example.com", "mg.example.com") == id);
  CHECK(reply_id_of("REPLY+ABCDEFGHIJKLMNOPQRSTUVWXYZ@MG.Example.COM", "mg.example.com") == id);
  CHECK(reply_id_of("reply+abcdefghijklmnopqrstuvwxyz@mg.example.com", "MG.EXAMPLE.COM") == id);
  CHECK(reply_id_of("reply+234567abcdefghijklmnopqrst@mg.example.com", "mg.example.com") == "234567abcdefghijklmnopqrst");
  CHECK(reply_id_of("Team <reply+abcdefghijklmnopqrstuvwxyz@mg.example.com>", "mg.example.com") == id);
  // A list: the first entry that matches.
  CHECK(reply_id_of("sales@mg.example.com, reply+abcdefghijklmnopqrstuvwxyz@mg.example.com, "
                    "reply+bbbbbbbbbbbbbbbbbbbbbbbbbb@mg.example.com",
                    "mg.example.com") == id);
  CHECK(reply_id_of("reply+bbbbbbbbbbbbbbbbbbbbbbbbbb@other.example, reply+abcdefghijklmnopqrstuvwxyz@mg.example.com",
                    "mg.example.com") == id);

  for (std::string_view no : {"reply+abcdefghijklmnopqrstuvwxyz@other.example", "reply+abcdefghijklmnopqrstuvwxyz@mg.example.com.evil",
                              "reply+abcdefghijklmnopqrstuvwxyz@sub.mg.example.com", "reply+abcdefghijklmnopqrstuvwxy@mg.example.com",
                              "reply+abcdefghijklmnopqrstuvwxyza@mg.example.com", "reply+abcdefghijklmnopqrstuvwxy1@mg.example.com",
                              "reply+abcdefghijklmnopqrstuvwxy8@mg.example.com", "reply-abcdefghijklmnopqrstuvwxyz@mg.example.com",
                              "xreply+abcdefghijklmnopqrstuvwxyz@mg.example.com", "reply+@mg.example.com", "", ",,,",
                              "abcdefghijklmnopqrstuvwxyz@mg.example.com"})
    CHECK_FALSE(reply_id_of(no, "mg.example.com").has_value());
  CHECK_FALSE(reply_id_of("reply+abcdefghijklmnopqrstuvwxyz@mg.example.com", "").has_value());
}

TEST_CASE("inbound mail: address_of takes the address of a From value, lower-cased", "[inbound]") {
  CHECK(address_of("Ana <Ana@X.example>") == "ana@x.example");
  CHECK(address_of("  ana@x.example ") == "ana@x.example");
  CHECK(address_of("\"Lima, Ana <boss@x.example>\" <ana@x.example>") == "ana@x.example");
  CHECK(address_of("<ANA@X.EXAMPLE>") == "ana@x.example");
  CHECK(address_of("Ana <ana@x.example").empty());
  CHECK(address_of("Ana").empty());
  CHECK(address_of("").empty());
  CHECK(address_of("Ana <>").empty());
  CHECK(address_of("ana@x.example (Ana)").empty());  // comments are not read: no guessing at addresses
  CHECK(address_of("\"Ana \\\"the boss\\\"\" <ana@x.example>") == "ana@x.example");
  // One mailbox: a list is read as neither of its addresses.
  CHECK(address_of("<eve@evil.example>, <ana@x.example>").empty());
  CHECK(address_of("eve@evil.example, Ana <ana@x.example>").empty());
  CHECK(address_of("Ana <ana@x.example>, eve@evil.example").empty());
  CHECK(address_of("\"Ana\" x\" <ana@x.example>").empty());
}

TEST_CASE("inbound mail: the reply text is stripped-text, else body-plain, cleaned and bounded", "[inbound]") {
  inbound_mail m;
  m.has_stripped_text = true;
  m.stripped_text = "  \r\nThanks!\r\nSee you Saturday.\r\n\r\n";
  m.body_plain = "Thanks!\r\n> quoted";
  CHECK(reply_text_of(m) == "Thanks!\nSee you Saturday.");
  // Only the quoted email was sent: nothing to show, and never the quoted team email itself.
  m.stripped_text = " \r\n ";
  CHECK(reply_text_of(m).empty());
  m.has_stripped_text = false;  // a post without the field at all
  CHECK(reply_text_of(m) == "Thanks!\n> quoted");
  m.body_plain = "a\tb\x01\x1b[31mc\x7f\rd";
  CHECK(reply_text_of(m) == "a\tb[31mc\nd");
  m.body_plain.clear();
  CHECK(reply_text_of(m).empty());
  m.has_stripped_text = true;

  // 4000 characters, cut on a code point: é is two bytes.
  m.stripped_text.clear();
  for (int i = 0; i < 5000; ++i) m.stripped_text += "é";
  std::string cut = reply_text_of(m);
  CHECK(utf8_length(cut) == max_reply_chars);
  CHECK(is_valid_utf8(cut));
  CHECK(cut.ends_with("é…"));
  m.stripped_text.resize(2 * max_reply_chars);
  CHECK(reply_text_of(m) == m.stripped_text);  // exactly 4000: not cut
}

TEST_CASE("inbound mail: reply ids are 26 lower-case base32 characters of 128 random bits", "[inbound]") {
  entropy rng;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = new_reply_id(rng);
    REQUIRE(id.size() == 26);
    for (char c : id) REQUIRE(((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')));
    CHECK(std::string_view("aeimquy4").find(id.back()) != std::string_view::npos);  // 3 data bits, 2 zero bits
    CHECK(reply_id_of("reply+" + id + "@mg.example.com", "mg.example.com") == id);
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);

  // The same bytes, encoded here bit by bit (RFC 4648 §6): the encoder's order and alphabet.
  std::string seed(32, '\x2a');
  entropy a(seed), b(seed);
  std::uint8_t bytes[16];
  b.fill(bytes);
  std::string bits;
  for (std::uint8_t byte : bytes)
    for (int i = 7; i >= 0; --i) bits += (byte >> i) & 1 ? '1' : '0';
  bits += "00";
  std::string expected;
  for (std::size_t i = 0; i < bits.size(); i += 5) expected += "abcdefghijklmnopqrstuvwxyz234567"[std::stoi(bits.substr(i, 5), nullptr, 2)];
  CHECK(new_reply_id(a) == expected);
}
