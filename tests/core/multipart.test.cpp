// multipart/form-data: what encode_multipart writes, parse_multipart reads back; what either
// refuses, and how.
#include <catch2/catch_test_macros.hpp>

#include "salient/core/multipart.h"

using namespace salient;
using namespace std::string_literals;

namespace {

const std::string boundary = "salient-0123456789abcdef0123456789abcdef";
const std::string content_type = "multipart/form-data; boundary=" + boundary;

std::vector<form_part> round_trip(const std::vector<form_part>& parts) {
  auto body = encode_multipart(parts, boundary);
  REQUIRE(body.ok());
  auto back = parse_multipart(*body, content_type);
  REQUIRE(back.ok());
  return *back;
}

errc parse_error(std::string_view body, std::string_view type = content_type) {
  auto r = parse_multipart(body, type);
  REQUIRE_FALSE(r.ok());
  return r.err().kind;
}

}  // namespace

TEST_CASE("multipart: boundaries are fresh, long and valid", "[multipart]") {
  entropy rng(std::string(32, '\x07'));
  std::string a = multipart_boundary(rng), b = multipart_boundary(rng);
  CHECK(a.starts_with("salient-"));
  CHECK(a.size() == 40);
  CHECK(a != b);
  CHECK(encode_multipart({{"a", "b", {}, {}}}, a).ok());
}

TEST_CASE("multipart: encodes fields in RFC 7578's form", "[multipart]") {
  auto body = encode_multipart({{"from", "Ann <ann@example.com>", {}, {}},
                                {"file", "hello", "notes.txt", "text/plain"}},
                               "B0");
  REQUIRE(body.ok());
  CHECK(*body ==
        "--B0\r\nContent-Disposition: form-data; name=\"from\"\r\n\r\nAnn <ann@example.com>\r\n"
        "--B0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n"
        "Content-Type: text/plain\r\n\r\nhello\r\n"
        "--B0--\r\n");
  CHECK(*encode_multipart({}, "B0") == "--B0--\r\n");
}

TEST_CASE("multipart: a round trip keeps names, values, file names and types", "[multipart]") {
  std::vector<form_part> parts = {{"from", "Ann <ann@example.com>", {}, {}},
                                  {"h:Reply-To", "sales@example.com", {}, {}},
                                  {"empty", "", {}, {}},
                                  {"caf\xC3\xA9; x=\\y", "\xC3\xA9t\xC3\xA9", {}, {}},
                                  {"attachment-1", "PDF", "a\\b.pdf", "application/pdf"}};
  CHECK(round_trip(parts) == parts);
}

TEST_CASE("multipart: values keep CRLF, blank lines and binary bytes", "[multipart]") {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  std::vector<form_part> parts = {{"text", "line one\r\n\r\nline three\r\n", {}, {}},
                                  {"crlf", "\r\n", {}, {}},
                                  {"dashes", "--\r\n--not-the-boundary--\r\n", {}, {}},
                                  {"bin", binary, "bytes.bin", "application/octet-stream"}};
  CHECK(round_trip(parts) == parts);
}

TEST_CASE("multipart: a value holding the boundary is refused as an internal error", "[multipart]") {
  auto r = encode_multipart({{"text", "see \r\n--" + boundary + "--\r\n", {}, {}}}, boundary);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().kind == errc::internal);
  CHECK_FALSE(encode_multipart({{"text", "x" + boundary, {}, {}}}, boundary).ok());
}

TEST_CASE("multipart: an invalid boundary is refused", "[multipart]") {
  CHECK(encode_multipart({}, "").err().kind == errc::internal);
  CHECK(encode_multipart({}, std::string(71, 'a')).err().kind == errc::internal);
  CHECK(encode_multipart({}, "a\"b").err().kind == errc::internal);
  CHECK(encode_multipart({}, "ends-in-space ").err().kind == errc::internal);
  CHECK(encode_multipart({}, std::string(70, 'a')).ok());
}

TEST_CASE("multipart: names and file names with quotes, CR, LF or NUL are refused", "[multipart]") {
  for (std::string bad : {"a\"b"s, "a\rb"s, "a\nb"s, "a\0b"s}) {
    auto by_name = encode_multipart({{bad, "v", {}, {}}}, boundary);
    REQUIRE_FALSE(by_name.ok());
    CHECK(by_name.err().kind == errc::bad_request);
    auto by_file = encode_multipart({{"f", "v", bad, {}}}, boundary);
    REQUIRE_FALSE(by_file.ok());
    CHECK(by_file.err().kind == errc::bad_request);
  }
  CHECK(encode_multipart({{"", "v", {}, {}}}, boundary).err().kind == errc::bad_request);
  CHECK(encode_multipart({{"f", "v", {}, "text/plain\r\nX-Evil: 1"}}, boundary).err().kind == errc::bad_request);
}

TEST_CASE("multipart: reads quoted and unquoted boundaries, a preamble, padding and an epilogue", "[multipart]") {
  std::string body = "This is the preamble.\r\n--b:1 x  \r\ncontent-disposition: FORM-DATA;NAME=token\r\n"
                     "X-Other: ignored\r\n\r\nvalue\r\n--b:1 x--\r\nthe epilogue";
  auto parts = parse_multipart(body, "Multipart/Form-Data ; charset=utf-8; boundary=\"b:1 x\"");
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 1);
  CHECK((*parts)[0] == form_part{"token", "value", {}, {}});

  auto unquoted = parse_multipart("--abc\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--abc--",
                                  "multipart/form-data; boundary=abc");
  REQUIRE(unquoted.ok());
  CHECK((*unquoted)[0].value == "1");
  auto empty = parse_multipart("--abc--\r\n", "multipart/form-data; boundary=abc");
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("multipart: a Content-Type without a usable boundary is refused", "[multipart]") {
  std::string body = "--abc\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--abc--\r\n";
  CHECK(parse_error(body, "multipart/form-data") == errc::bad_request);
  CHECK(parse_error(body, "multipart/form-data; boundary=") == errc::bad_request);
  CHECK(parse_error(body, "multipart/form-data; boundary=\"abc") == errc::bad_request);
  CHECK(parse_error(body, "multipart/form-data; boundary=abc; boundary=abd") == errc::bad_request);
  CHECK(parse_error(body, "multipart/form-data; boundary=\"" + std::string(71, 'a') + "\"") == errc::bad_request);
  CHECK(parse_error(body, "multipart/form-data; boundary=a\"bc") == errc::bad_request);
  CHECK(parse_error(body, "") == errc::bad_request);
  CHECK(parse_error(body, "application/x-www-form-urlencoded; boundary=abc") == errc::unsupported_media_type);
  CHECK(parse_error(body, "multipart/mixed; boundary=abc") == errc::unsupported_media_type);
}

TEST_CASE("multipart: truncated and garbled bodies are bad requests", "[multipart]") {
  auto full = encode_multipart({{"from", "a@example.com", {}, {}}, {"text", "hi", {}, {}}}, boundary);
  REQUIRE(full.ok());
  // Every strict prefix lacks the final delimiter (or more).
  for (std::size_t n = 0; n + 2 < full->size(); ++n) {
    INFO("prefix of " << n << " bytes");
    CHECK(parse_error(std::string_view(*full).substr(0, n)) == errc::bad_request);
  }
  const std::string d = "--" + boundary;
  CHECK(parse_error("no delimiter at all") == errc::bad_request);
  CHECK(parse_error(d + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue") == errc::bad_request);
  CHECK(parse_error(d + "junk\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n" + d + "--") == errc::bad_request);
  CHECK(parse_error(d + "\r\nContent-Disposition: form-data; name=\"a\"\r\nv\r\n" + d + "--") == errc::bad_request);
}

TEST_CASE("multipart: malformed part headers are bad requests", "[multipart]") {
  const std::string d = "--" + boundary;
  auto part = [&](std::string headers) { return d + "\r\n" + headers + "\r\n\r\nv\r\n" + d + "--\r\n"; };
  CHECK(parse_error(part("Content-Disposition form-data; name=\"a\"")) == errc::bad_request);    // no colon
  CHECK(parse_error(part("Content-Type: text/plain")) == errc::bad_request);                     // no disposition
  CHECK(parse_error(part("Content-Disposition: form-data")) == errc::bad_request);               // no name
  CHECK(parse_error(part("Content-Disposition: form-data; name=\"\"")) == errc::bad_request);    // empty name
  CHECK(parse_error(part("Content-Disposition: form-data; filename=\"a.txt\"")) == errc::bad_request);
  CHECK(parse_error(part("Content-Disposition: attachment; name=\"a\"")) == errc::bad_request);
  CHECK(parse_error(part("Content-Disposition: form-data; name=\"a")) == errc::bad_request);     // open quote
  CHECK(parse_error(part("Content-Disposition: form-data; name=\"a\"; name=\"b\"")) == errc::bad_request);
  CHECK(parse_error(part("Content-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; name=\"b\"")) ==
        errc::bad_request);
  CHECK(parse_error(part("Content-Disposition: form-data;\r\n name=\"a\"")) == errc::bad_request);  // folded
  CHECK(parse_error(part("Content-Disposition: form-data; name=\"a\nb\"")) == errc::bad_request);   // bare LF
  CHECK(parse_error(part("Content-Disposition: form-data; name=\"a\0b\""s)) == errc::bad_request);
  CHECK(parse_error(part("Bad Name: x\r\nContent-Disposition: form-data; name=\"a\"")) == errc::bad_request);
  CHECK(parse_error(d + "\r\n\r\nno headers\r\n" + d + "--") == errc::bad_request);
}

TEST_CASE("multipart: more parts than allowed are refused", "[multipart]") {
  std::vector<form_part> parts(5, form_part{"a", "b", {}, {}});
  auto body = encode_multipart(parts, boundary);
  REQUIRE(body.ok());
  CHECK(parse_multipart(*body, content_type, 5).ok());
  auto r = parse_multipart(*body, content_type, 4);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().kind == errc::bad_request);
  CHECK(r.err().message.find("4 parts") != std::string::npos);
}
