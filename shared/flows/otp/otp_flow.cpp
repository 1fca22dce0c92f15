// The otp function's flow. Its feature (email verification) is not built yet: the routes
// exist, with the same ABI and hosts as the rest, and answer 501 plainly until it is.
#include "salient/flows/flows.h"
#include "salient/http/respond.h"
#include "salient/http/route.h"

namespace salient {

task<void> otp_flow(function_context ctx) {
  std::string_view path = ctx.ex.req().path;
  if (path == "/otp/request" || path == "/otp/verify")
    respond_error(ctx.ex, make_error(errc::not_implemented, "email verification is not available yet"), response_format::json);
  else
    respond_error(ctx.ex, make_error(errc::not_found, "there is no page at this address"), response_format::json);
  co_return;
}

}  // namespace salient
