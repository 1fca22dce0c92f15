// Mailgun's inbound post (flows/handoff/inbound_mail.h) on arbitrary bytes: the first byte picks
// the Content-Type (even: application/x-www-form-urlencoded; odd: multipart/form-data with the
// boundary "b"), the rest is the body. Invariants: a value or a typed error (bad_request,
// unsupported_media_type never: both types are supported), never a crash; on a value, every
// field is UTF-8 without NUL within 1 MB, and what the handoff reads next (the signature, SPF,
// the reply id, the addresses, the reply text) gives an answer of its documented form.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "flows/handoff/inbound_mail.h"

namespace {

using namespace salient;
using namespace salient::handoff;

void check_text(const std::string& s) {
  if (s.size() > max_inbound_field_bytes || !is_valid_utf8(s) || s.find('\0') != std::string::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  request req;
  req.method = "POST";
  req.headers = {{"content-type", data[0] % 2 == 0 ? "application/x-www-form-urlencoded" : "multipart/form-data; boundary=b"}};
  req.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  auto m = parse_inbound(req);
  if (!m) {
    if (m.err().kind != errc::bad_request || m.err().message.empty()) std::abort();
    return 0;
  }
  for (const std::string* s : {&m->recipient, &m->sender, &m->from, &m->subject, &m->stripped_text, &m->body_plain,
                               &m->message_id, &m->in_reply_to, &m->references, &m->timestamp, &m->token, &m->signature})
    check_text(*s);
  if (m->timestamp.empty() || m->token.empty() || m->signature.empty() || m->attachment_count < 0) std::abort();
  for (const auto& [name, value] : m->headers) {
    check_text(name);
    check_text(value);
  }

  // A fixed key: a fuzzed post never verifies, a stale answer would mean a MAC matched by chance.
  if (verify_signature("key-fuzz", *m, 1765090000) != signature_status::bad_signature) std::abort();
  (void)sender_authenticated(*m);
  if (auto id = reply_id_of(m->recipient, "mg.fuzz.test")) {
    if (id->size() != 26) std::abort();
    for (char c : *id)
      if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) std::abort();
  }
  for (const std::string* s : {&m->from, &m->sender}) {
    std::string address = address_of(*s);
    if (!address.empty() && address.find('@') == std::string::npos) std::abort();
    for (char c : address)
      if (c >= 'A' && c <= 'Z') std::abort();
  }
  std::string text = reply_text_of(*m);
  if (!is_valid_utf8(text) || utf8_length(text) > max_reply_chars) std::abort();
  for (char c : text)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') || c == 0x7f) std::abort();
  if (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.back() == ' ' || text.back() == '\n'))
    std::abort();
  return 0;
}
