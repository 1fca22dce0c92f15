#pragma once
// HTML output. Everything that reaches a page goes through escape_html or render(), whose
// {{name}} slots are escaped; {{{name}}} inserts a fragment that was itself built by render()
// (never user input). A tiny Mustache subset is all the pages and partials need.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace salient {

/// Escapes & < > " ' for text and attribute contexts.
std::string escape_html(std::string_view text);
void append_escaped_html(std::string& out, std::string_view text);

using template_vars = std::initializer_list<std::pair<std::string_view, std::string_view>>;

/// Replaces {{name}} with the escaped value and {{{name}}} with the raw value. An unknown name
/// renders as empty (templates are ours; a test covers every slot of every template).
std::string render(std::string_view tmpl, template_vars vars);

}  // namespace salient
