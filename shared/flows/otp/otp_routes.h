#pragma once
// The otp function's two POST routes (otp_routes.cpp) and what they share. Private to
// flows/otp: otp_flow.cpp routes to them.
#include <optional>
#include <string>

#include "salient/flows/context.h"
#include "salient/http/respond.h"
#include "salient/render/templates.h"
#include "salient/upstream/mailgun/mailgun.h"
#include "salient/upstream/store/state_client.h"

namespace salient::otp {

/// A POST's checked input and the services it needs.
struct otp_setup {
  const agent_config* agent = nullptr;
  otp_purpose purpose = otp_purpose::link_session;
  std::string purpose_name;  ///< "link_session" | "delete_data"
  std::string email;         ///< normalised (normalize_email)
  std::string session_key;   ///< link_session only
  std::string code;          ///< verify only: the 6 digits
  std::string secret;        ///< SALIENT_OTP_SECRET
  state_store store;
  mailgun_endpoint mailgun;
};

/// CSRF and size checks, the body's fields, the secrets and endpoints. Errors are the visitor's
/// (400 naming the field) or the operator's (500 misconfigured, the details logged).
result<otp_setup> prepare(function_context& ctx);

task<void> post_request(function_context ctx, otp_setup setup);
task<void> post_verify(function_context ctx, otp_setup setup);

/// An error as JSON, a page, or (htmx) the flows' error fragment swapped into #otp-error.
void respond_otp_error(exchange& ex, const error& e, response_format fmt);

}  // namespace salient::otp
