#pragma once
// The answer of a button's POST (Email summary, Talk to a person): JSON for the widget and the
// page's script, or for htmx the one status line the page swaps in, by its element id.
#include <string>
#include <string_view>

#include "core/json.h"
#include "salient/http/respond.h"
#include "salient/render/html.h"

namespace salient {

/// `line` is the visitor's sentence; `id` the page's status element ("summary-status").
inline void respond_button_note(exchange& ex, response_format fmt, int status, const detail::json& body,
                                std::string_view id, std::string_view line) {
  if (fmt != response_format::fragment) return respond_json(ex, status, detail::dump(body));
  std::string i(id);
  respond_html(ex, status, "<p id=\"" + i + "\" class=\"" + i + "\" role=\"status\">" + escape_html(line) + "</p>");
}

/// A refusal: the usual error answer, or for htmx the line with its Retry-After.
inline void respond_button_refusal(exchange& ex, const error& e, response_format fmt, std::string_view id) {
  if (fmt != response_format::fragment) return respond_error(ex, e, fmt);
  header_list headers;
  if (e.retry_after_s > 0) headers.push_back({"retry-after", std::to_string(e.retry_after_s)});
  std::string i(id);
  respond_html(ex, e.status(),
               "<p id=\"" + i + "\" class=\"" + i + "\" data-error role=\"alert\">" + escape_html(e.message) + "</p>",
               std::move(headers));
}

}  // namespace salient
