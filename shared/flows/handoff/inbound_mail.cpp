// Mailgun's inbound post, read and checked (flows/handoff/inbound_mail.h). Both encodings are
// first reduced to one list of text fields (file parts are only counted), and every field read
// from it is checked the same way, so the two content types cannot disagree on what a post says.
#include "flows/handoff/inbound_mail.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

#include "core/json.h"
#include "salient/core/email_address.h"
#include "salient/core/multipart.h"

namespace salient::handoff {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s, std::string_view space = " \t\r\n") {
  std::size_t b = s.find_first_not_of(space);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(space) - b + 1);
}

bool is_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

/// The value of a string of at most 18 digits (no std::stoll: it may throw, and the wasm build has
/// no exceptions).
std::int64_t decimal(std::string_view digits) {
  std::int64_t n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  return n;
}

struct fields_and_files {
  form_fields fields;  // text fields, in order
  int files = 0;       // multipart parts that carry a filename (attachments)
};

result<fields_and_files> read_body(const request& req) {
  // The host stops reading at its body limit: a cut post would lose fields silently.
  if (req.body_truncated) return make_error(errc::payload_too_large, "the inbound post is too large");
  std::string_view content_type = req.header("content-type");
  std::string type = media_type(content_type);
  fields_and_files out;
  if (type == "application/x-www-form-urlencoded") {
    auto fields = parse_form(req.body);
    if (!fields) return fields.err();
    out.fields = std::move(*fields);
    return out;
  }
  if (type == "multipart/form-data") {
    // Mailgun sends about 30 fields plus one part per attachment.
    auto parts = parse_multipart(req.body, content_type, 512);
    if (!parts) return parts.err();
    for (form_part& p : *parts) {
      if (!p.filename.empty())
        ++out.files;
      else
        out.fields.emplace_back(std::move(p.name), std::move(p.value));
    }
    return out;
  }
  return make_error(errc::unsupported_media_type,
                    "expected application/x-www-form-urlencoded or multipart/form-data");
}

/// The field called `name` (exactly, or ignoring case), checked: present at most once when
/// `unique` (a repeated signature field could be read one way here and another way elsewhere),
/// at most 1 MB, UTF-8 without NUL (Postgres text cannot hold NUL).
result<std::string> field(form_fields& fields, std::string_view name, bool required, bool any_case = false,
                          bool unique = false) {
  std::string* found = nullptr;
  for (auto& [k, v] : fields) {
    if (any_case ? !iequals(k, name) : k != name) continue;
    if (found) {
      if (unique) return make_error(errc::bad_request, "field " + std::string(name) + " is repeated");
      continue;
    }
    found = &v;
  }
  if (!found || found->empty()) {
    if (required) return make_error(errc::bad_request, "field " + std::string(name) + " is missing");
    return std::string();
  }
  if (found->size() > max_inbound_field_bytes)
    return make_error(errc::bad_request, "field " + std::string(name) + " is larger than 1 MB");
  if (!is_valid_utf8(*found) || found->find('\0') != std::string::npos)
    return make_error(errc::bad_request, "field " + std::string(name) + " is not valid UTF-8 text");
  return std::move(*found);
}

using header_pairs = std::vector<std::pair<std::string, std::string>>;
constexpr std::size_t max_headers_bytes = 256 * 1024;

result<header_pairs> parse_headers(std::string_view text) {
  auto invalid = make_error(errc::bad_request, "field message-headers is not a JSON list of [name, value]");
  header_pairs out;
  if (text.empty()) return out;
  // A real message's headers are a few KB; this field is parsed before the signature is checked
  // (it is in the same body), so an unsigned post must not make the parser build a large tree.
  if (text.size() > max_headers_bytes)
    return make_error(errc::bad_request, "field message-headers is larger than 256 KB");
  auto doc = detail::parse_json(text);
  if (!doc || !doc->is_array()) return invalid;
  out.reserve(doc->size());
  for (const detail::json& pair : *doc) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) return invalid;
    const auto& name = pair[0].get_ref<const std::string&>();
    const auto& value = pair[1].get_ref<const std::string&>();
    // The JSON parser checks UTF-8 but lets an escaped \u0000 through.
    if (name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) return invalid;
    out.emplace_back(name, value);
  }
  return out;
}

/// The value of the first header called `name` (any case), or nullopt.
std::optional<std::string_view> first_header(const header_pairs& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (iequals(trim(k), name)) return std::string_view(v);
  return std::nullopt;
}

}  // namespace

result<inbound_mail> parse_inbound(const request& req) {
  auto body = read_body(req);
  if (!body) return body.err();
  form_fields& f = body->fields;
  inbound_mail m;
  // Each entry: the field, where it goes, required, any case, unique.
  struct spec {
    std::string_view name;
    std::string inbound_mail::*to;
    bool required, any_case, unique;
  };
  static constexpr std::array<spec, 12> specs{{
      {"timestamp", &inbound_mail::timestamp, true, false, true},
      {"token", &inbound_mail::token, true, false, true},
      {"signature", &inbound_mail::signature, true, false, true},
      {"recipient", &inbound_mail::recipient, false, false, true},
      {"sender", &inbound_mail::sender, false, false, true},
      {"from", &inbound_mail::from, false, false, true},
      {"subject", &inbound_mail::subject, false, false, false},
      {"stripped-text", &inbound_mail::stripped_text, false, false, false},
      {"body-plain", &inbound_mail::body_plain, false, false, false},
      // Mailgun names these after the message's own headers, whose case varies (Message-ID).
      {"Message-Id", &inbound_mail::message_id, false, true, false},
      {"In-Reply-To", &inbound_mail::in_reply_to, false, true, false},
      {"References", &inbound_mail::references, false, true, false},
  }};
  m.has_stripped_text = std::any_of(f.begin(), f.end(), [](const auto& kv) { return kv.first == "stripped-text"; });
  for (const spec& s : specs) {
    auto value = field(f, s.name, s.required, s.any_case, s.unique);
    if (!value) return value.err();
    m.*s.to = std::move(*value);
  }
  auto headers_text = field(f, "message-headers", false, false, true);
  if (!headers_text) return headers_text.err();
  auto headers = parse_headers(*headers_text);
  if (!headers) return headers.err();
  m.headers = std::move(*headers);
  // A post without the threading fields as their own fields still has them among its headers.
  for (auto [to, name] : {std::pair{&inbound_mail::message_id, "Message-Id"}, std::pair{&inbound_mail::in_reply_to, "In-Reply-To"},
                          std::pair{&inbound_mail::references, "References"}})
    if (m.*to == "")
      if (auto v = first_header(m.headers, name)) m.*to = std::string(*v);

  auto count = field(f, "attachment-count", false, false, true);
  if (!count) return count.err();
  m.attachment_count = body->files;
  if (!count->empty()) {
    if (!is_digits(*count) || count->size() > 4)
      return make_error(errc::bad_request, "field attachment-count is not a number");
    m.attachment_count = std::max(m.attachment_count, static_cast<int>(decimal(*count)));
  }
  return m;
}

signature_status verify_signature(std::string_view signing_key, const inbound_mail& m, std::int64_t now_s,
                                  int max_age_s) {
  // 12 digits reach the year 33658 and cannot overflow below.
  if (signing_key.empty() || !is_digits(m.timestamp) || m.timestamp.size() > 12 || m.token.empty())
    return signature_status::bad_signature;
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> given{}, expected{};
  std::size_t decoded = 0;
  const char* end = nullptr;
  if (m.signature.size() != 2 * given.size() ||
      sodium_hex2bin(given.data(), given.size(), m.signature.data(), m.signature.size(), nullptr, &decoded, &end) != 0 ||
      decoded != given.size() || end != m.signature.data() + m.signature.size())
    return signature_status::bad_signature;

  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(signing_key.data()), signing_key.size());
  for (const std::string* part : {&m.timestamp, &m.token})
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(part->data()), part->size());
  crypto_auth_hmacsha256_final(&st, expected.data());
  if (sodium_memcmp(given.data(), expected.data(), expected.size()) != 0) return signature_status::bad_signature;

  std::int64_t ts = decimal(m.timestamp);
  if (ts < now_s - max_age_s || ts > now_s + max_age_s) return signature_status::stale;
  return signature_status::ok;
}

bool sender_authenticated(const inbound_mail& m) {
  auto spf = first_header(m.headers, "X-Mailgun-Spf");
  if (!spf || !iequals(trim(*spf), "pass")) return false;
  std::string from = address_of(m.from), envelope = address_of(m.sender);
  std::size_t from_at = from.find('@'), envelope_at = envelope.find('@');
  return from_at != std::string::npos && envelope_at != std::string::npos &&
         std::string_view(from).substr(from_at) == std::string_view(envelope).substr(envelope_at);
}

std::optional<std::string> reply_id_of(std::string_view recipient, std::string_view mailgun_domain) {
  std::string domain = lowered(trim(mailgun_domain));
  if (domain.empty()) return std::nullopt;
  constexpr std::string_view prefix = "reply+";
  constexpr std::size_t id_len = 26;
  while (!recipient.empty()) {
    std::size_t comma = recipient.find(',');
    std::string address = address_of(recipient.substr(0, comma));
    recipient = comma == std::string_view::npos ? std::string_view() : recipient.substr(comma + 1);
    std::size_t at = address.find('@');
    if (at == std::string::npos || address.substr(at + 1) != domain) continue;
    std::string_view local = std::string_view(address).substr(0, at);
    if (!local.starts_with(prefix) || local.size() != prefix.size() + id_len) continue;
    std::string_view id = local.substr(prefix.size());
    bool base32 = true;
    for (char c : id) base32 = base32 && ((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'));
    if (base32) return std::string(id);
  }
  return std::nullopt;
}

std::string address_of(std::string_view from_or_sender) {
  std::string_view s = trim(from_or_sender);
  std::size_t open = s.rfind('<');
  if (open == std::string_view::npos) return normalize_email(s).value_or(std::string());
  std::size_t close = s.find('>', open);
  if (close == std::string_view::npos || !trim(s.substr(close + 1)).empty()) return {};
  // One mailbox only: a display name, quoted or plain, then <address>. A list
  // ("<a@evil.example>, <bo@team.example>") is refused rather than read as either address.
  std::string_view name = trim(s.substr(0, open));
  if (name.starts_with('"')) {
    std::size_t i = 1;
    while (i < name.size() && name[i] != '"') i += name[i] == '\\' ? 2 : 1;
    if (i >= name.size() || !trim(name.substr(i + 1)).empty()) return {};
  } else if (name.find_first_of("<>@,\"") != std::string_view::npos) {
    return {};
  }
  return normalize_email(trim(s.substr(open + 1, close - open - 1))).value_or(std::string());
}

std::string reply_text_of(const inbound_mail& m) {
  std::string_view source = m.has_stripped_text ? m.stripped_text : m.body_plain;
  std::string text;
  text.reserve(source.size());
  for (std::size_t i = 0; i < source.size(); ++i) {
    char c = source[i];
    if (c == '\r') {
      text.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else if (c == '\n' || c == '\t' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f)) {
      text.push_back(c);  // control characters would reach the chat and the store as they are
    }
  }
  text = std::string(trim(text));
  if (utf8_length(text) <= max_reply_chars) return text;
  // Cut after max_reply_chars - 1 code points: a code point starts at every non-continuation byte.
  std::size_t points = 0, cut = 0;
  for (; cut < text.size(); ++cut) {
    if ((static_cast<unsigned char>(text[cut]) & 0xc0) != 0x80 && points++ == max_reply_chars - 1) break;
  }
  text.resize(cut);
  text = std::string(trim(text));
  return text + "…";
}

std::string new_reply_id(entropy& rng) {
  std::array<std::uint8_t, 16> bytes{};
  rng.fill(bytes);
  constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  out.reserve(26);
  // 5 bits at a time from the top; the 26th character takes the last 3 bits and 2 zero bits.
  unsigned buffer = 0;
  int bits = 0;
  for (std::uint8_t b : bytes) {
    buffer = ((buffer << 8) | b) & 0xfff;  // at most 12 bits are ever pending
    bits += 8;
    while (bits >= 5) {
      out.push_back(alphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

}  // namespace salient::handoff
