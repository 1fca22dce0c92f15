// The summary function's flow. Its feature (conversation summaries) is not built yet: the
// route exists, with the same ABI and hosts as the rest, and answers 501 plainly until it is.
#include "salient/flows/flows.h"
#include "salient/http/respond.h"
#include "salient/http/route.h"

namespace salient {

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
