// The handoff's share of the scheduled sweep (handoff_flow.h): the team emails still to send
// (asked for in words while the widget was closing, or failed before and due for a retry), the
// visitor's lines written during the handoff, batched into one email per quiet spell, and
// replies the visitor has not seen, sent to a verified address. The store claims each with a
// lease (salient_handoff_due), so overlapping runs share out the work; the marks move only after
// Mailgun took the email, so a failed send is tried again by a later run.
#include "flows/handoff/handoff_flow.h"
#include "flows/handoff/handoff_send.h"

namespace salient::handoff {
namespace {

/// A batch waits until the visitor has been quiet this long: one email per burst of lines.
constexpr int batch_seconds = 60;

}  // namespace

task<sweep_counts> sweep(function_context ctx, const summary::services& s, int limit) {
  exchange& ex = ctx.ex;
  const config& cfg = ctx.cfg;
  sweep_counts counts;
  handoff_due_args args{cfg.app.tenant, ex.req().now_ms, batch_seconds, cfg.handoff.notify_minutes,
                        summary::lease_seconds, limit};
  auto due = parse_handoff_due(co_await ex.fetch(handoff_due_request(s.store, args), effect_policy::survive_cancel));
  if (!due) {
    ex.log(log_level::warn, "handoff.sweep_failed", {{"reason", due.err().message}});
    co_return counts;
  }
  counts.more = due->more;
  for (const auto& [h, conversation] : due->team_emails) {
    auto sent = co_await send_team_email(ctx, s, h, conversation, "sweep");
    if (sent) ++counts.team_emails;
    else {
      ++counts.failed;
      ex.log(log_level::warn, "handoff.send_failed", {{"handoff_id", h.id}, {"reason", sent.err().message}});
    }
  }
  for (bool forwards : {true, false}) {
    for (const handoff_lines& lines : forwards ? due->forwards : due->notifies) {
      auto sent = co_await (forwards ? send_forward(ctx, s, lines) : send_notify(ctx, s, lines));
      if (sent)
        sent = parse_handoff_mark(co_await ex.fetch(
            handoff_mark_request(s.store, cfg.app.tenant, lines.handoff.id, lines.through, forwards),
            effect_policy::survive_cancel));
      if (sent) ++(forwards ? counts.forwards : counts.notifies);
      else {
        ++counts.failed;
        ex.log(log_level::warn, forwards ? "handoff.forward_failed" : "handoff.notify_failed",
               {{"handoff_id", lines.handoff.id}, {"reason", sent.err().message}});
      }
    }
  }
  co_return counts;
}

}  // namespace salient::handoff
