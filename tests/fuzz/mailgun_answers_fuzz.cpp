// Mailgun (upstream/mailgun/mailgun.h): its answers through parse_mailgun_send,
// retry_after_seconds and provider_response_json, and a message of fuzzed fields through
// mailgun_send_request. The first byte picks the status (or no answer), the second how many of
// the following bytes are the Retry-After value; the rest is the body. Invariants: a value or a
// typed error, never a crash; success only for a 2xx with an id; Retry-After within [0, 3600];
// the provider response is always a JSON object; a request that is built carries no line break
// in a header-like field and its body reads back as exactly the fields given.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "salient/core/multipart.h"
#include "salient/upstream/mailgun/mailgun.h"

namespace {

using salient::errc;

void check_answer(const salient::fetch_result& r) {
  auto sent = salient::parse_mailgun_send(r);
  if (sent) {
    if (!r.success() || sent->id.empty()) std::abort();
  } else {
    errc k = sent.err().kind;
    if (k != errc::upstream && k != errc::unavailable && k != errc::misconfigured) std::abort();
    if (sent.err().message.empty()) std::abort();
  }
  if (auto s = salient::retry_after_seconds(r); s && (*s < 0 || *s > 3600)) std::abort();
  auto doc = salient::detail::parse_json(salient::provider_response_json(r));
  if (!doc || !doc->is_object()) std::abort();
  if (!salient::detail::member(*doc, r.failure ? "failure" : "status")) std::abort();
}

/// The body split at 0x1F into the message's fields, in order; a field's bytes as they are.
void check_request(std::string_view body) {
  std::vector<std::string> f;
  std::size_t start = 0;
  while (f.size() < 9) {
    std::size_t sep = body.find('\x1f', start);
    f.emplace_back(body.substr(start, sep == std::string_view::npos ? std::string_view::npos : sep - start));
    if (sep == std::string_view::npos) break;
    start = sep + 1;
  }
  f.resize(9);
  salient::email_message m{f[0], f[1], f[2], f[3], f[4], f[5], f[6], {}, {}};
  if (!f[7].empty() || !f[8].empty()) m.variables.push_back({f[7], f[8]});
  salient::mailgun_endpoint ep{"https://api.mailgun.net", "mg.example.com", "key-123", 10000};
  static const std::string boundary = "salient-00112233445566778899aabbccddeeff";
  auto req = salient::mailgun_send_request(ep, m, boundary);
  if (!req) {
    if (req.err().kind != errc::bad_request && req.err().kind != errc::internal) std::abort();
    return;
  }
  for (const std::string* s : {&m.from, &m.to, &m.subject, &m.reply_to, &m.tag})
    if (s->find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) std::abort();
  auto parts = salient::parse_multipart(req->body, salient::find_header(req->headers, "content-type"));
  if (!parts) std::abort();
  std::vector<std::pair<std::string, std::string>> want = {{"from", m.from}, {"to", m.to}, {"subject", m.subject},
                                                           {"text", m.text}};
  if (!m.html.empty()) want.push_back({"html", m.html});
  if (!m.reply_to.empty()) want.push_back({"h:Reply-To", m.reply_to});
  if (!m.tag.empty()) want.push_back({"o:tag", m.tag});
  for (const auto& [k, v] : m.variables) want.push_back({"v:" + k, v});
  if (parts->size() != want.size()) std::abort();
  for (std::size_t i = 0; i < want.size(); ++i)
    if ((*parts)[i].name != want[i].first || (*parts)[i].value != want[i].second) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static constexpr int statuses[] = {200, 200, 200, 202, 400, 401, 403, 404, 413, 429, 500, 502, 503, 0};
  salient::fetch_result r;
  int status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
  if (status == 0) r.failure = salient::effect_failure{salient::effect_failure_kind::timeout, "fuzz"};
  r.head.status = status;
  std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  std::size_t n = std::min<std::size_t>(data[1] % 16, rest.size());
  if (data[1] & 0x80) r.head.headers.push_back({"retry-after", std::string(rest.substr(0, n))});
  r.body.assign(rest.substr(n));

  check_answer(r);
  check_request(r.body);
  return 0;
}
