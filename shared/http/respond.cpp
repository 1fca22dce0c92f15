#include "salient/http/respond.h"

#include "core/json.h"
#include "salient/render/pages.h"
#include "salient/http/sse.h"

namespace salient {
namespace {

// Pages load only our own scripts and styles (htmx runs with allowEval off; see pages.cpp).
// 'wasm-unsafe-eval' lets page.js compile the widget's markdown core (WebAssembly only: eval and
// new Function stay forbidden).
constexpr std::string_view page_csp =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'self'";

header_list common_headers(std::string_view content_type) {
  return {{"content-type", std::string(content_type)},
          {"cache-control", "no-store"},
          {"x-content-type-options", "nosniff"},
          {"referrer-policy", "same-origin"}};
}

bool retryable(errc kind) {
  return kind == errc::unavailable || kind == errc::upstream || kind == errc::too_many_requests;
}

}  // namespace

response_format format_for(const request& req) {
  if (prefers_json(req)) return response_format::json;
  return req.header("hx-request") == "true" ? response_format::fragment : response_format::html;
}

void respond_html(exchange& ex, int status, std::string_view html, header_list extra) {
  auto headers = common_headers("text/html; charset=utf-8");
  headers.push_back({"content-security-policy", std::string(page_csp)});
  for (header& h : extra) headers.push_back(std::move(h));
  ex.respond({status, std::move(headers)});
  ex.write(html);
}

void respond_json(exchange& ex, int status, std::string_view json) {
  ex.respond({status, common_headers("application/json")});
  ex.write(json);
}

void respond_text(exchange& ex, int status, std::string_view content_type, std::string_view body, header_list extra) {
  auto headers = common_headers(content_type);
  for (header& h : extra) headers.push_back(std::move(h));
  ex.respond({status, std::move(headers)});
  ex.write(body);
}

std::string sse_error_data(const error& e, bool can_retry) {
  return detail::dump(detail::json{{"code", e.code_or_kind()}, {"message", e.message}, {"retryable", can_retry}});
}

void respond_error(exchange& ex, const error& e, response_format format) {
  header_list headers;
  std::string body;
  switch (format) {
    case response_format::json:
      headers = common_headers("application/json");
      body = detail::dump(detail::json{{"error", {{"code", e.code_or_kind()}, {"message", e.message}}}});
      break;
    case response_format::sse:
      headers = common_headers("text/event-stream; charset=utf-8");
      body = sse_event("error", "1", sse_error_data(e, retryable(e.kind)));
      break;
    case response_format::html:
    case response_format::fragment:
      headers = common_headers("text/html; charset=utf-8");
      headers.push_back({"content-security-policy", std::string(page_csp)});
      body = format == response_format::html ? render_error_page(e) : render_error_fragment(e);
      break;
  }
  if (e.retry_after_s > 0) headers.push_back({"retry-after", std::to_string(e.retry_after_s)});
  ex.respond({e.status(), std::move(headers)});
  ex.write(body);
}

}  // namespace salient
