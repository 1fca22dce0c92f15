// The otp function: a visitor proves an email address with a one-time code.
//
//   POST /otp/request {email, purpose, agent?, session_key?}  → a code by email (always the same
//        answer whether the address is known or not: no enumeration)
//   POST /otp/verify  {email, code, purpose, agent?, session_key?}
//        link_session: the conversation (session_key) carries the address and joins its profile
//        delete_data:  everything the tenant holds about the address is erased, then confirmed
//   GET  /a/{agent}/privacy  the public erasure page (form → email → code)
//   /admin/…, /metrics       the operator's view (flows/admin/), signed in with codes of its own
//
// Form data (htmx: fragments from render/templates.h) or JSON, with the chat's CSRF and CORS
// rules. The rules of codes are enforced by the state store (db/functions/otp.sql) in one
// transaction per call; this flow makes the code, the keyed hashes and the emails
// (flows/email_send.h). Codes never appear in a URL or a log; the stored copy of an email masks
// the code.
#include "flows/admin/admin_flow.h"
#include "flows/email_send.h"
#include "flows/otp/otp_routes.h"
#include "salient/flows/flows.h"
#include "salient/http/respond.h"
#include "salient/http/route.h"
#include "salient/render/templates.h"

namespace salient {
namespace {

task<void> get_privacy(function_context ctx, const agent_config& agent) {
  respond_html(ctx.ex, 200, render_privacy_page(brand_of(ctx.cfg, agent), agent.code, agent.name));
  co_return;
}

}  // namespace

task<void> otp_flow(function_context ctx) {
  exchange& ex = ctx.ex;
  const request& req = ex.req();
  // The operator's view signs in with this module's codes (flows/admin/admin_flow.h).
  if (req.log_flush || admin::is_admin_path(req.path)) co_return co_await admin::admin_flow(ctx);
  response_format fmt = format_for(req);
  if (req.path == "/otp/request" || req.path == "/otp/verify") {
    if (req.method != "POST") {
      respond_error(ex, make_error(errc::method_not_allowed, "use POST"), fmt);
      co_return;
    }
    auto setup = otp::prepare(ctx);
    if (!setup) {
      otp::respond_otp_error(ex, setup.err(), fmt);
      co_return;
    }
    if (req.path == "/otp/request") co_await otp::post_request(ctx, *setup);
    else co_await otp::post_verify(ctx, *setup);
    co_return;
  }
  auto route = parse_agent_path(req.path);
  const agent_config* agent = route ? ctx.cfg.find_enabled_agent(route->agent) : nullptr;
  if (agent && route->rest == "/privacy") {
    if (req.method != "GET" && req.method != "HEAD") {
      respond_error(ex, make_error(errc::method_not_allowed, "use GET for this page"), fmt);
      co_return;
    }
    co_await get_privacy(ctx, *agent);
    co_return;
  }
  respond_error(ex, make_error(errc::not_found, "there is no page at this address"), fmt);
}

}  // namespace salient
