// The one-time-code feature's emails and pages: data in, kainjow/mustache over the templates of
// shared/render/templates/ (embedded by cmake/embed_templates.cmake), strings out.
//
// Escaping: HTML templates use the engine's default, which escapes & < > " ' in every {{name}};
// no template uses {{{name}}}. Plain-text templates and subjects are rendered with one_line()
// as the escape function instead, so that no value (the business name from the config, an
// address a visitor typed) can start a line of its own: in a subject a CR or LF would start a
// header of the email, and in the text part a fake "Your code is …" line.
#include "salient/render/templates.h"

#include <mustache.hpp>

#include <string>

#include "render/template_sources.h"

namespace salient {
namespace {

namespace mstch = kainjow::mustache;

/// `text` on one line: CR, LF and the other C0 controls, DEL, NEL and the Unicode line and
/// paragraph separators become spaces; the bidi controls (which can make a line read in a
/// different order than it is written) are dropped. Other bytes, UTF-8 included, are kept.
std::string one_line(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out.push_back(' ');
    } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x85) {
      out.push_back(' ');  // U+0085 NEL
      ++i;
    } else if (c == 0xe2 && i + 2 < text.size()) {
      auto b1 = static_cast<unsigned char>(text[i + 1]), b2 = static_cast<unsigned char>(text[i + 2]);
      if (b1 == 0x80 && (b2 == 0xa8 || b2 == 0xa9)) {  // U+2028, U+2029
        out.push_back(' ');
        i += 2;
      } else if ((b1 == 0x80 && b2 >= 0xaa && b2 <= 0xae) || (b1 == 0x81 && b2 >= 0xa6 && b2 <= 0xa9)) {
        i += 2;  // U+202A–U+202E, U+2066–U+2069
      } else {
        out.push_back(text[i]);
      }
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

enum class escaping { html, plain_text };

/// Renders templates/<name> with `vars`. Empty if the template does not parse (they are ours, and
/// tests/core/templates.test.cpp renders every one).
std::string render_template(std::string_view name, const mstch::data& vars, escaping esc) {
  mstch::mustache tmpl{std::string(detail::template_source(name))};
  if (esc == escaping::plain_text) tmpl.set_custom_escape(one_line);
  std::string out;
  tmpl.render(vars, [&out](const std::string& piece) { out += piece; });
  return tmpl.is_valid() ? out : std::string();
}

mstch::partial partial_of(std::string_view name) {
  return mstch::partial{[name] { return std::string(detail::template_source(name)); }};
}

bool is_hex_color(std::string_view s) {
  if (s.size() != 7 || s[0] != '#') return false;
  for (char c : s.substr(1))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

/// Only an absolute http(s) link without spaces or controls goes into an email: a mail client
/// cannot follow a site-relative one, and any other scheme (javascript:) must never be a link.
bool email_link_ok(std::string_view url) {
  if (!starts_with_nocase(url, "https://") && !starts_with_nocase(url, "http://")) return false;
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  return true;
}

enum class email_kind { otp_code, nothing_held, data_erased };

/// The variables every email shares: the brand, the subject, which footer line applies.
mstch::data email_vars(const email_brand& brand, email_kind kind, const std::string& subject) {
  mstch::data vars;
  vars.set("business_name", brand.business_name);
  // A colour reaches a style attribute, where escaping alone does not make text safe: only
  // #rrggbb gets there (config validates it; this is the second check).
  vars.set("brand_color", is_hex_color(brand.brand_color) ? brand.brand_color : std::string("#18181b"));
  vars.set("subject", subject);
  vars.set("is_otp_code", kind == email_kind::otp_code);
  vars.set("is_nothing_held", kind == email_kind::nothing_held);
  vars.set("is_data_erased", kind == email_kind::data_erased);
  bool link = email_link_ok(brand.privacy_url);
  vars.set("has_privacy_link", link);
  if (link) vars.set("privacy_url", brand.privacy_url);
  return vars;
}

/// The HTML and text parts of templates/<stem>.html.mustache and <stem>.txt.mustache.
rendered_email render_email(std::string_view stem, std::string subject, mstch::data vars) {
  rendered_email out;
  vars.set("email_header", partial_of("email_header.html.mustache"));
  vars.set("email_footer", partial_of("email_footer.html.mustache"));
  out.html = render_template(std::string(stem) + ".html.mustache", vars, escaping::html);
  vars.set("email_footer", partial_of("email_footer.txt.mustache"));
  out.text = render_template(std::string(stem) + ".txt.mustache", vars, escaping::plain_text);
  // The text part ends in one newline, whatever the partials' own last lines leave.
  while (out.text.ends_with("\n\n")) out.text.pop_back();
  out.subject = std::move(subject);
  return out;
}

std::string count_of(long n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string_view purpose_name(otp_purpose p) {
  return p == otp_purpose::link_session ? "link_session" : "delete_data";
}

void set_purpose(mstch::data& vars, otp_purpose p) {
  vars.set("purpose", std::string(purpose_name(p)));
  vars.set("link_session", p == otp_purpose::link_session);
  vars.set("delete_data", p == otp_purpose::delete_data);
}

}  // namespace

rendered_email render_otp_code_email(const email_brand& brand, otp_purpose purpose, std::string_view code,
                                     int valid_minutes) {
  // Subjects are built here, from one_line() parts only: no CR or LF from the config can
  // reach the header. The code stays out of the subject (lock screens show subjects).
  std::string business = one_line(brand.business_name);
  std::string subject = purpose == otp_purpose::link_session ? "Your code to link your chat at " + business
                                                             : "Your code to delete your data at " + business;
  mstch::data vars = email_vars(brand, email_kind::otp_code, subject);
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
