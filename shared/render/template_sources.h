#pragma once
// The render layer's Mustache templates (shared/render/templates/*.mustache), embedded at build
// time by cmake/embed_templates.cmake into a generated source in the build tree.
#include <string_view>

namespace salient::detail {

/// The text of templates/<name> ("otp_code.html.mustache"), or empty for an unknown name.
std::string_view template_source(std::string_view name);

}  // namespace salient::detail
