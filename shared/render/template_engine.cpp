// The render layer's shared template machinery (render/template_engine.h): escaping, rendering
// one embedded template, the email frame.
#include "render/template_engine.h"

#include <string>

#include "render/template_sources.h"

namespace salient::detail {
namespace {

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

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

std::string render_template(std::string_view name, const mstch::data& vars, escaping esc) {
  mstch::mustache tmpl{std::string(template_source(name))};
  if (esc == escaping::plain_text) tmpl.set_custom_escape(one_line);
  std::string out;
  tmpl.render(vars, [&out](const std::string& piece) { out += piece; });
  return tmpl.is_valid() ? out : std::string();
}

mstch::partial partial_of(std::string_view name) {
  return mstch::partial{[name] { return std::string(template_source(name)); }};
}

bool is_hex_color(std::string_view s) {
  if (s.size() != 7 || s[0] != '#') return false;
  for (char c : s.substr(1))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

bool email_link_ok(std::string_view url) {
  if (!starts_with_nocase(url, "https://") && !starts_with_nocase(url, "http://")) return false;
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  return true;
}

mstch::data email_vars(const email_brand& brand, email_kind kind, const std::string& subject) {
  mstch::data vars;
  vars.set("business_name", brand.business_name);
  // A colour reaches a style attribute, where escaping alone does not make text safe: only
  // #rrggbb gets there (config validates it; this is the second check).
  vars.set("brand_color", is_hex_color(brand.brand_color) ? brand.brand_color : std::string("#18181b"));
  vars.set("subject", subject);
  vars.set("is_otp_code", kind == email_kind::otp_code);
  vars.set("is_admin_code", kind == email_kind::admin_code);
  vars.set("is_nothing_held", kind == email_kind::nothing_held);
  vars.set("is_data_erased", kind == email_kind::data_erased);
  vars.set("is_lead_summary", kind == email_kind::lead_summary);
  vars.set("is_handoff_team", kind == email_kind::handoff_team);
  vars.set("is_handoff_visitor", kind == email_kind::handoff_visitor);
  bool link = email_link_ok(brand.privacy_url);
  vars.set("has_privacy_link", link);
  if (link) vars.set("privacy_url", brand.privacy_url);
  return vars;
}

rendered_email render_email(std::string_view stem, std::string subject, mstch::data vars) {
  rendered_email out;
  vars.set("email_header", partial_of("email_header.html.mustache"));
  vars.set("email_footer", partial_of("email_footer.html.mustache"));
  vars.set("lead_card", partial_of("lead_card_email.html.mustache"));
  out.html = render_template(std::string(stem) + ".html.mustache", vars, escaping::html);
  vars.set("email_footer", partial_of("email_footer.txt.mustache"));
  vars.set("lead_card", partial_of("lead_card_email.txt.mustache"));
  out.text = render_template(std::string(stem) + ".txt.mustache", vars, escaping::plain_text);
  // The text part ends in one newline, whatever the partials' own last lines leave.
  while (out.text.ends_with("\n\n")) out.text.pop_back();
  out.subject = std::move(subject);
  return out;
}

std::string count_of(long n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

}  // namespace salient::detail
