#include "flows/handoff/handoff_send.h"

#include "flows/email_send.h"
#include "flows/summary/lead_rules.h"

namespace salient::handoff {
namespace {

std::string joined_addresses(const std::vector<team_member>& team) {
  std::string out;
  for (const team_member& m : team) out += (out.empty() ? "" : ", ") + m.email;
  return out;
}

handoff_line_view line_of(const stored_message& m, std::string role) {
  return {std::move(role), m.name, m.content, summary::display_time(m.created_at)};
}

/// The agent and its team, or misconfigured when there is none to write to.
result<std::pair<const agent_config*, const std::vector<team_member>*>> team_of(function_context& ctx,
                                                                                 std::string_view agent_code) {
  const agent_config* agent = summary::agent_of(ctx.cfg, agent_code);
  if (!agent || ctx.cfg.handoff_team_of(*agent).empty()) {
    ctx.ex.log(log_level::error, "config.invalid", {{"reason", "handoff.team is empty"}});
    return make_error(errc::misconfigured, "talking to a person is not set up yet (no team)");
  }
  return std::pair{agent, &ctx.cfg.handoff_team_of(*agent)};
}

}  // namespace

std::string reply_address(std::string_view reply_id, std::string_view mailgun_domain) {
  return "reply+" + std::string(reply_id) + "@" + std::string(mailgun_domain);
}

std::string started_message(const config& cfg, const agent_config& agent) {
  const auto& team = cfg.handoff_team_of(agent);
  std::string who = team.size() == 1 ? team.front().name : "the " + cfg.app.name + " team";
  std::string when = cfg.handoff.response_time.empty() ? "" : ", usually " + cfg.handoff.response_time;
  return "I've asked " + who + " to join this chat. They'll reply here" + when +
         ". You can keep writing: your messages go to them too.";
}

task<result<void>> send_team_email(function_context ctx, const summary::services& s, const handoff_record& h,
                                   const summary_claim& conversation, std::string trigger) {
  const config& cfg = ctx.cfg;
  auto team = team_of(ctx, h.agent);
  if (!team) co_return team.err();
  const agent_config& agent = *team->first;

  // The summary so far by the rules: at once and free, where the model would make the person
  // who asked wait for a call (and the team reads the transcript below it anyway).
  std::vector<lead_rules::transcript_line> transcript;
  for (const history_message& m : conversation.messages) transcript.push_back({m.role, m.content});
  lead_rules::lead_card card = lead_rules::extract(transcript, s.business);
  const bool verified = conversation.profile && conversation.profile->verified && !conversation.profile->email.empty();
  handoff_email_view view{brand_of(cfg, agent), agent.name,
                          summary::lead_view_of(lead_rules::lead_card_json(card), verified && card.email ==
                                                lead_rules::detail::lower_ascii(conversation.profile->email)),
                          {}, cfg.handoff.response_time, summary::display_time(h.expires_at).substr(0, 10), {}, {}, {},
                          std::move(trigger)};
  for (const history_message& m : conversation.messages) view.lines.push_back({m.role, {}, m.content, {}});
  for (const team_member& m : *team->second) view.team_names.push_back(m.name);
  rendered_email email = render_handoff_email(view);

  std::string to = joined_addresses(*team->second);
  email_message message{sender_of(cfg, s.mailgun), to, email.subject, email.text, email.html,
                        reply_address(h.reply_id, s.mailgun.domain), "handoff", {}, {}};
  email_record record{cfg.app.tenant, h.session_id, to, email.subject, email.text, email.html, "handoff", {}, {}, h.id};
  auto sent = co_await send_email(ctx, s.store, s.mailgun, outgoing_email{std::move(message), std::move(record)},
                                 effect_policy::survive_cancel);
  if (!sent) co_return sent.err();
  ctx.ex.log(log_level::info, "handoff.team_emailed", {{"session_id", h.session_id}, {"handoff_id", h.id}});
  co_return result<void>{};
}

task<result<void>> send_forward(function_context ctx, const summary::services& s, const handoff_lines& lines) {
  const config& cfg = ctx.cfg;
  const handoff_record& h = lines.handoff;
  auto team = team_of(ctx, h.agent);
  if (!team) co_return team.err();
  email_brand brand = brand_of(cfg, *team->first);
  handoff_forward_view view{brand, lines.subject.empty() ? handoff_subject(brand, {}) : lines.subject, {}, {},
                            summary::display_time(h.expires_at).substr(0, 10), {}};
  for (const stored_message& m : lines.messages) view.lines.push_back(line_of(m, "user"));
  rendered_email email = render_handoff_forward_email(view);

  std::string to = joined_addresses(*team->second);
  email_message message{sender_of(cfg, s.mailgun), to, email.subject, email.text, email.html,
                        reply_address(h.reply_id, s.mailgun.domain), "handoff", {}, h.thread_message_id};
  email_record record{cfg.app.tenant, h.session_id, to, email.subject, email.text, email.html, "handoff_forward",
                      {}, {}, h.id};
  co_return co_await send_email(ctx, s.store, s.mailgun, outgoing_email{std::move(message), std::move(record)},
                                effect_policy::survive_cancel);
}

task<result<void>> send_notify(function_context ctx, const summary::services& s, const handoff_lines& lines) {
  const config& cfg = ctx.cfg;
  const handoff_record& h = lines.handoff;
  const agent_config* agent = summary::agent_of(cfg, h.agent);
  if (!agent || lines.email.empty()) co_return make_error(errc::internal, "no agent or address to notify");
  email_brand brand = brand_of(cfg, *agent);
  // The visitor's email links back to their chat and their privacy page: absolute, or not at all.
  brand.privacy_url = s.public_url.empty() ? "" : s.public_url + brand.privacy_url;
  handoff_notify_view view{brand, {}, s.public_url.empty() ? "" : s.public_url + "/a/" + agent->code + "/"};
  for (const stored_message& m : lines.messages) view.replies.push_back(line_of(m, "team"));
  rendered_email email = render_handoff_notify_email(view);
  email_message message{sender_of(cfg, s.mailgun), lines.email, email.subject, email.text, email.html, {},
                        "handoff_notify", {}, {}};
  email_record record{cfg.app.tenant, h.session_id, lines.email, email.subject, email.text, email.html,
                      "handoff_notify", {}, {}, h.id};
  co_return co_await send_email(ctx, s.store, s.mailgun, outgoing_email{std::move(message), std::move(record)},
                                effect_policy::survive_cancel);
}

task<result<void>> send_bounce(function_context ctx, const summary::services& s, const team_member& to,
                               bounce_reason reason, std::string original_subject) {
  const config& cfg = ctx.cfg;
  const agent_config* agent = cfg.find_enabled_agent(cfg.app.default_agent);
  email_brand brand = agent ? brand_of(cfg, *agent) : email_brand{cfg.app.name, cfg.email.brand_color, {}};
  rendered_email email = render_handoff_bounce_email({brand, reason, to.name, std::move(original_subject)});
  email_message message{sender_of(cfg, s.mailgun), to.email, email.subject, email.text, email.html, {},
                        "handoff_bounce", {}, {}};
  email_record record{cfg.app.tenant, {}, to.email, email.subject, email.text, email.html, "handoff_bounce", {}, {}, {}};
  co_return co_await send_email(ctx, s.store, s.mailgun, outgoing_email{std::move(message), std::move(record)},
                                effect_policy::survive_cancel);
}

}  // namespace salient::handoff
