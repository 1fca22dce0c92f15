#pragma once
// The operator's view (/admin/) and /metrics, served by the otp module (flows/otp/otp_flow.cpp
// hands them over): admin_flow.cpp signs operators in and out and checks every request's
// sign-in; admin_routes.cpp serves the signed-in pages, the metrics and the host's log flush.
// Private to flows/admin.
#include <string>

#include "flows/admin/admin_session.h"
#include "salient/flows/context.h"
#include "salient/upstream/store/state_client.h"

namespace salient::admin {

/// True for the paths this flow answers: /admin, /admin/…, /metrics.
bool is_admin_path(std::string_view path);

task<void> admin_flow(function_context ctx);

/// What every admin route needs: the key the cookies are signed with and the store.
struct admin_setup {
  std::string secret;  ///< SALIENT_OTP_SECRET
  state_store store;
};

/// The pages and forms of a signed-in operator (admin_routes.cpp). `path` is below /admin.
task<void> signed_in_route(function_context ctx, const admin_setup& s, const signed_in& who);

/// GET /metrics: for a signed-in operator (`who`) or a scraper with SALIENT_METRICS_TOKEN.
task<void> metrics_route(function_context ctx, const admin_setup& s, const signed_in* who);

/// The host's own run (request.log_flush): its redacted warnings into the bounded table.
task<void> log_flush(function_context ctx, const admin_setup& s);

/// A 303 to `location` (an /admin/ path).
void redirect(exchange& ex, std::string location, header_list extra = {});

}  // namespace salient::admin
