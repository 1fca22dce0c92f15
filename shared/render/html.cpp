#include "salient/render/html.h"

namespace salient {

void append_escaped_html(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
}

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  append_escaped_html(out, text);
  return out;
}

std::string render(std::string_view tmpl, template_vars vars) {
  auto lookup = [&](std::string_view name) -> std::string_view {
    for (const auto& [k, v] : vars)
      if (k == name) return v;
    return {};
  };
  std::string out;
  out.reserve(tmpl.size() * 5 / 4);
  std::size_t pos = 0;
  while (pos < tmpl.size()) {
    std::size_t open = tmpl.find("{{", pos);
    if (open == std::string_view::npos) break;
    out.append(tmpl.substr(pos, open - pos));
    bool raw = tmpl.substr(open, 3) == "{{{";
    std::string_view closer = raw ? "}}}" : "}}";
    std::size_t name_at = open + (raw ? 3 : 2);
    std::size_t close = tmpl.find(closer, name_at);
    if (close == std::string_view::npos) {  // not a slot: copy the braces literally
      out.append(tmpl.substr(open, 2));
      pos = open + 2;
      continue;
    }
    std::string_view value = lookup(tmpl.substr(name_at, close - name_at));
    if (raw) out.append(value);
    else append_escaped_html(out, value);
    pos = close + closer.size();
  }
  out.append(tmpl.substr(pos));
  return out;
}

}  // namespace salient
