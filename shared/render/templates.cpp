// The one-time-code feature's emails and pages: data in, kainjow/mustache over the templates of
// shared/render/templates/ (embedded by cmake/embed_templates.cmake), strings out. The escaping
// rules and the email frame are shared with the lead summaries (render/template_engine.h).
#include "salient/render/templates.h"

#include <string>

#include "render/template_engine.h"

namespace salient {

using namespace detail;

namespace {

std::string_view purpose_name(otp_purpose p) {
  return p == otp_purpose::link_session ? "link_session" : p == otp_purpose::delete_data ? "delete_data" : "admin_sign_in";
}

void set_purpose(mstch::data& vars, otp_purpose p) {
  vars.set("purpose", std::string(purpose_name(p)));
  vars.set("link_session", p == otp_purpose::link_session);
  vars.set("delete_data", p == otp_purpose::delete_data);
  vars.set("admin_sign_in", p == otp_purpose::admin_sign_in);
}

}  // namespace

rendered_email render_otp_code_email(const email_brand& brand, otp_purpose purpose, std::string_view code,
                                     int valid_minutes) {
  // Subjects are built here, from one_line() parts only: no CR or LF from the config can
  // reach the header. The code stays out of the subject (lock screens show subjects).
  std::string business = one_line(brand.business_name);
  std::string subject = purpose == otp_purpose::link_session  ? "Your code to link your chat at " + business
                        : purpose == otp_purpose::delete_data ? "Your code to delete your data at " + business
                                                              : "Your sign-in code for the " + business + " admin";
  mstch::data vars =
      email_vars(brand, purpose == otp_purpose::admin_sign_in ? email_kind::admin_code : email_kind::otp_code, subject);
  set_purpose(vars, purpose);
  vars.set("code", std::string(code));
  vars.set("valid_for", count_of(valid_minutes, "minute", "minutes"));
  return render_email("otp_code", std::move(subject), std::move(vars));
}

rendered_email render_nothing_held_email(const email_brand& brand) {
  std::string subject = "Your data request at " + one_line(brand.business_name);
  return render_email("nothing_held", subject, email_vars(brand, email_kind::nothing_held, subject));
}

rendered_email render_data_erased_email(const email_brand& brand, const erasure_counts& counts) {
  std::string subject = "Your data at " + one_line(brand.business_name) + " has been deleted";
  mstch::data vars = email_vars(brand, email_kind::data_erased, subject);
  mstch::list deleted;
  auto line = [&](long n, std::string_view one, std::string_view many) {
    if (n > 0) deleted.push_back(mstch::object{{"line", count_of(n, one, many)}});
  };
  line(counts.sessions, "conversation", "conversations");
  line(counts.messages, "message", "messages");
  line(counts.summaries, "conversation summary", "conversation summaries");
  line(counts.profiles, "visitor profile", "visitor profiles");
  line(counts.emails, "email address", "email addresses");
  if (deleted.empty()) deleted.push_back(mstch::object{{"line", std::string("no stored records")}});
  vars.set("deleted", deleted);
  return render_email("data_erased", std::move(subject), std::move(vars));
}

std::string render_privacy_page(const email_brand& brand, std::string_view agent_code, std::string_view agent_name) {
  mstch::data vars;
  vars.set("business_name", brand.business_name);
  vars.set("agent", std::string(agent_code));
  vars.set("agent_name", std::string(agent_name));
  return render_template("privacy_page.html.mustache", vars, escaping::html);
}

std::string render_otp_code_form(otp_purpose purpose, std::string_view email, std::string_view agent_code,
                                 int resend_after_s) {
  mstch::data vars;
  set_purpose(vars, purpose);
  vars.set("email", std::string(email));
  vars.set("agent", std::string(agent_code));
  vars.set("resend_after", std::to_string(resend_after_s < 0 ? 0 : resend_after_s));
  return render_template("otp_code_form.html.mustache", vars, escaping::html);
}

std::string render_otp_verified(std::string_view email) {
  mstch::data vars;
  vars.set("email", std::string(email));
  return render_template("otp_verified.html.mustache", vars, escaping::html);
}

std::string render_data_erased_page_fragment() {
  return render_template("data_erased_fragment.html.mustache", mstch::data(), escaping::html);
}

std::string render_otp_error(std::string_view message) {
  mstch::data vars;
  vars.set("message", std::string(message));
  return render_template("otp_error.html.mustache", vars, escaping::html);
}

}  // namespace salient
