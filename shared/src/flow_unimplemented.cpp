// The otp and summary functions exist as modules (same ABI, same hosts, measured sizes) but
// their features arrive with their own issues. Until then their routes answer 501, plainly.
#include "salient/flows.h"
#include "salient/respond.h"
#include "salient/route.h"

namespace salient {

task<void> otp_flow(function_context ctx) {
  std::string_view path = ctx.ex.req().path;
  if (path == "/otp/request" || path == "/otp/verify")
    respond_error(ctx.ex, make_error(errc::not_implemented, "email verification is not available yet"), response_format::json);
  else
    respond_error(ctx.ex, make_error(errc::not_found, "there is no page at this address"), response_format::json);
  co_return;
}

task<void> summary_flow(function_context ctx) {
  auto route = parse_agent_path(ctx.ex.req().path);
  if (route && route->rest == "/summary" && ctx.cfg.find_enabled_agent(route->agent))
    respond_error(ctx.ex, make_error(errc::not_implemented, "conversation summaries are not available yet"),
                  response_format::json);
  else
    respond_error(ctx.ex, make_error(errc::not_found, "there is no page at this address"), response_format::json);
  co_return;
}

}  // namespace salient
