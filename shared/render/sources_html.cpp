#include "render/sources_html.h"

#include <cstdio>

#include "knowledge/sources.h"
#include "salient/render/html.h"

namespace salient {

std::string sources_list_html(const detail::json& citations) {
  if (!citations.is_array()) return {};
  std::string html;
  for (const auto& c : citations) {
    auto n = detail::int_member(c, "n");
    if (!n || *n < 1 || *n > 999) continue;
    const std::string num = std::to_string(*n);
    std::string_view title = detail::string_member(c, "title").value_or("");
    std::string_view heading = detail::string_member(c, "heading").value_or("");
    std::string_view url = detail::string_member(c, "url").value_or("");
    html += R"(<li value=")" + num + R"(" data-n=")" + num + R"(">)";
    if (!url.empty() && safe_link_url(url))
      html += R"(<a href=")" + escape_html(url) + R"(" target="_blank" rel="noopener noreferrer">)" + escape_html(title) + "</a>";
    else
      html += escape_html(title);
    if (!heading.empty()) html += R"( <span class="source-heading">)" + escape_html(heading) + "</span>";
    char score[32];
    std::snprintf(score, sizeof score, "%.2f", detail::number_member(c, "score").value_or(0));
    html += R"(<details><summary>match )" + std::to_string(detail::int_member(c, "rank").value_or(0)) + " · score " +
            score + "</summary><p>" + escape_html(detail::string_member(c, "snippet").value_or("")) + "</p></details></li>";
  }
  if (html.empty()) return {};
  return R"(<ol class="sources" aria-label="Sources">)" + html + "</ol>";
}

}  // namespace salient
