#include "salient/upstream/mailgun/mailgun.h"

#include <charconv>
#include <cstring>

#include <sodium.h>

#include "core/json.h"
#include "salient/core/multipart.h"

namespace salient {
namespace {

using detail::json;

constexpr std::string_view line_breaks_and_nul("\r\n\0", 3);

std::string base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

/// A field that becomes a mail header: one line, no NUL.
result<void> one_line(std::string_view field, std::string_view value) {
  if (value.find_first_of(line_breaks_and_nul) != std::string_view::npos)
    return make_error(errc::bad_request, "the email's " + std::string(field) + " must not contain CR, LF or NUL");
  return {};
}

result<void> required(std::string_view field, std::string_view value) {
  if (value.empty()) return make_error(errc::bad_request, "the email's " + std::string(field) + " is empty");
  return {};
}

/// At most `limit` bytes, cut back to a UTF-8 character boundary.
std::string cut(std::string_view s, std::size_t limit = 500) {
  if (s.size() <= limit) return std::string(s);
  std::size_t at = limit;
  while (at > 0 && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80) --at;
  return std::string(s.substr(0, at));
}

const char* failure_name(effect_failure_kind k) {
  switch (k) {
    case effect_failure_kind::timeout: return "timeout";
    case effect_failure_kind::connect: return "connect";
    case effect_failure_kind::aborted: return "aborted";
    case effect_failure_kind::network: return "network";
  }
  return "network";
}

/// Whether a boundary can stand unquoted in the Content-Type header (multipart_boundary's can).
bool is_token(std::string_view s) {
  for (char c : s) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return !s.empty();
}

}  // namespace

result<mailgun_endpoint> mailgun_endpoint_from_env(const environment& env, int timeout_ms) {
  std::string_view base = env.get("MAILGUN_BASE_URL");
  if (base.empty()) base = default_mailgun_base_url;
  if (!is_http_url(base)) return make_error(errc::misconfigured, "MAILGUN_BASE_URL must start with http:// or https://");
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  std::string_view domain = env.get("MAILGUN_DOMAIN");
  if (domain.empty()) return make_error(errc::misconfigured, "MAILGUN_DOMAIN must be set to send email");
  std::string_view key = env.get("MAILGUN_API_KEY");
  if (key.empty()) return make_error(errc::misconfigured, "MAILGUN_API_KEY must be set to send email");
  return mailgun_endpoint{std::string(base), std::string(domain), std::string(key), timeout_ms};
}

result<outbound_request> mailgun_send_request(const mailgun_endpoint& ep, const email_message& m,
                                              std::string_view boundary) {
  if (ep.domain.empty() || ep.api_key.empty())
    return make_error(errc::misconfigured, "the Mailgun endpoint has no domain or API key");
  for (auto [field, value] : {std::pair<std::string_view, std::string_view>{"from", m.from},
                              {"to", m.to}, {"subject", m.subject}, {"text", m.text}})
    if (auto ok = required(field, value); !ok) return ok.err();
  for (auto [field, value] : {std::pair<std::string_view, std::string_view>{"from", m.from}, {"to", m.to},
                              {"subject", m.subject}, {"reply_to", m.reply_to}, {"tag", m.tag},
                              {"in_reply_to", m.in_reply_to}})
    if (auto ok = one_line(field, value); !ok) return ok.err();
  for (const auto& [name, value] : m.variables) {
    if (name.empty() || name.find('"') != std::string::npos)
      return make_error(errc::bad_request, "an email variable's name is empty or holds a quote");
    if (auto ok = one_line("variable name", name); !ok) return ok.err();
    if (auto ok = one_line("variable " + name, value); !ok) return ok.err();
  }

  std::vector<form_part> parts;
  parts.reserve(7 + m.variables.size());
  auto field = [&](std::string name, const std::string& value) { parts.push_back({std::move(name), value, {}, {}}); };
  field("from", m.from);
  field("to", m.to);
  field("subject", m.subject);
  field("text", m.text);
  if (!m.html.empty()) field("html", m.html);
  if (!m.reply_to.empty()) field("h:Reply-To", m.reply_to);
  if (!m.in_reply_to.empty()) {
    // One earlier message is all a thread needs here: the team's mail client threads on it.
    field("h:In-Reply-To", m.in_reply_to);
    field("h:References", m.in_reply_to);
  }
  if (!m.tag.empty()) field("o:tag", m.tag);
  for (const auto& [name, value] : m.variables) field("v:" + name, value);
  auto body = encode_multipart(parts, boundary);
  if (!body) return body.err();

  outbound_request out;
  out.method = "POST";
  out.url = ep.base_url + "/v3/" + percent_encode(ep.domain) + "/messages";
  std::string b(boundary);
  out.headers = {{"authorization", "Basic " + base64("api:" + ep.api_key)},
                 {"content-type", "multipart/form-data; boundary=" + (is_token(b) ? b : "\"" + b + "\"")}};
  out.body = std::move(*body);
  out.timeout_ms = ep.timeout_ms;
  return out;
}

result<mailgun_sent> parse_mailgun_send(const fetch_result& r) {
  if (r.failure) return make_error(errc::unavailable, "the email service could not be reached");
  int status = r.head.status;
  if (status >= 200 && status < 300) {
    auto doc = detail::parse_json(r.body);
    auto id = doc ? detail::string_member(*doc, "id") : std::nullopt;
    if (!id || id->empty()) return make_error(errc::upstream, "the email service's answer has no message id");
    auto message = detail::string_member(*doc, "message");
    return mailgun_sent{std::string(*id), message ? std::string(*message) : std::string()};
  }
  // Mailgun's {"message"} stays out of these: it may quote an address; provider_response_json keeps it.
  if (status == 401 || status == 403) return make_error(errc::misconfigured, "Mailgun refused the API key");
  if (status == 404) return make_error(errc::misconfigured, "Mailgun does not know the domain");
  if (status == 429) return make_error(errc::unavailable, "the email service is busy; try again later");
  if (status >= 500) return make_error(errc::unavailable, "the email service is unavailable");
  if (status == 400) return make_error(errc::upstream, "the email service refused the message");
  return make_error(errc::upstream, "the email service answered with status " + std::to_string(status));
}

std::optional<int> retry_after_seconds(const fetch_result& r) {
  if (r.failure) return std::nullopt;
  std::string_view v = find_header(r.head.headers, "retry-after");
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  for (char c : v)
    if (c < '0' || c > '9') return std::nullopt;  // an HTTP date, or junk
  constexpr int cap = 3600;
  int seconds = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (ec == std::errc::result_out_of_range) return cap;  // all digits, just very many of them
  if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return seconds > cap ? cap : seconds;
}

std::string provider_response_json(const fetch_result& r) {
  json out = json::object();
  if (r.failure) {
    out["failure"] = failure_name(r.failure->kind);
    if (!r.failure->message.empty()) out["message"] = cut(r.failure->message);
    return detail::dump(out);
  }
  out["status"] = r.head.status;
  auto doc = detail::parse_json(r.body);
  if (doc && doc->is_object()) {
    if (auto id = detail::string_member(*doc, "id")) out["id"] = cut(*id);
    if (auto message = detail::string_member(*doc, "message")) out["message"] = cut(*message);
  } else if (!r.body.empty()) {
    out["message"] = cut(r.body);
  }
  return detail::dump(out);  // invalid UTF-8 in a body becomes U+FFFD: the text stays valid JSON
}

}  // namespace salient
