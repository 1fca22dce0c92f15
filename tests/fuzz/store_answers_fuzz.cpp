// The state store's answers (PostgREST RPC results and error bodies) through every parser in
// state_client and summary_store, and the parsed history/session list through the renderers. The first byte
// picks the HTTP status. Invariants: a value or a typed error, never a crash; a parsed error
// is never a success; rendered HTML holds no unescaped '<' from the store's text.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "salient/render/pages.h"
#include "salient/upstream/store/state_client.h"
#include "salient/upstream/store/summary_store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr int statuses[] = {200, 200, 200, 200, 400, 401, 403, 404, 409, 500, 503, 0};
  salient::fetch_result r;
  int status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
  if (status == 0) r.failure = salient::effect_failure{salient::effect_failure_kind::network, "fuzz"};
  r.head.status = status;
  r.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);

  auto err = salient::parse_postgrest_error(r);
  if (err.has_value() == r.success()) std::abort();
  if (err && salient::to_error(*err, "f").status() < 400) std::abort();

  // A rate limit's refusal names its wait (a second to a day) and no turn; anything else its turn.
  if (auto b = salient::parse_begin_turn(r)) {
    if (b->limited ? b->limited->retry_after_s < 1 || b->limited->retry_after_s > 86400 || !b->turn_id.empty()
                   : b->turn_id.empty())
      std::abort();
  }
  (void)salient::parse_claim_turn(r);
  (void)salient::parse_finish_turn(r);
  if (auto h = salient::parse_session_history(r)) {
    std::string html = salient::render_history(h->messages);
    for (const auto& m : h->messages)
      if (m.content.find('<') != std::string::npos && html.find(m.content) != std::string::npos) std::abort();
  }
  if (auto l = salient::parse_list_sessions(r)) (void)salient::render_session_list(*l);
  // A claim the core acts on always names its claim, session and newest message.
  if (auto c = salient::parse_summary_claim(r))
    for (const auto& one : c->claims)
      if (one.claim.empty() || one.session_id.empty() || one.through.empty()) std::abort();
  if (auto s = salient::parse_summary_store(r); s && !s->lost && s->summary_id.empty()) std::abort();
  (void)salient::parse_summary_transcript(r);
  return 0;
}
