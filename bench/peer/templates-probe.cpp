// What the one-time-code templates (salient/render/templates.h, kainjow/mustache) add to a
// function module before any flow calls them: linked into copies of otp.wasm and chat.wasm
// (functions/CMakeLists.txt, SALIENT_TEMPLATES_PROBE=ON), this export calls every renderer
// with inputs from the host, so none of them can be optimised away. docs/BENCHMARKS.md (a).
#include <string_view>

#include "salient/render/templates.h"

extern "C" __attribute__((export_name("salient_templates_probe"))) long salient_templates_probe(const char* text,
                                                                                               int size, int n) {
  std::string_view in(text, static_cast<std::size_t>(size));
  salient::email_brand brand{std::string(in), std::string(in), std::string(in)};
  auto purpose = n & 1 ? salient::otp_purpose::link_session : salient::otp_purpose::delete_data;
  long total = 0;
  auto add = [&](const salient::rendered_email& e) { total += static_cast<long>(e.subject.size() + e.text.size() + e.html.size()); };
  add(salient::render_otp_code_email(brand, purpose, in, n));
  add(salient::render_nothing_held_email(brand));
  add(salient::render_data_erased_email(brand, {n, n, n, n, n}));
  total += static_cast<long>(salient::render_privacy_page(brand, in, in).size());
  total += static_cast<long>(salient::render_otp_code_form(purpose, in, in, n).size());
  total += static_cast<long>(salient::render_otp_verified(in).size());
  total += static_cast<long>(salient::render_data_erased_page_fragment().size());
  total += static_cast<long>(salient::render_otp_error(in).size());
  return total;
}
