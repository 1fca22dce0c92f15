#pragma once
// Writing whole responses: HTML pages and partials, JSON documents, SSE error streams, each
// with the security headers that belong to it. Every error a visitor can cause is answered
// here, in the format their client can read.
#include <string_view>

#include "salient/core/exchange.h"
#include "salient/core/result.h"

namespace salient {

/// html: a whole page; fragment: a partial for htmx to swap in (requests with HX-Request).
enum class response_format { html, fragment, json, sse };

/// JSON when the client asked for it (Accept), a fragment for htmx, else a whole page.
response_format format_for(const request& req);

void respond_html(exchange& ex, int status, std::string_view html, header_list extra = {});
void respond_json(exchange& ex, int status, std::string_view json);
/// Any other text (a CSV or YAML download, Prometheus metrics) with the same no-store and
/// nosniff headers; `extra` adds e.g. content-disposition.
void respond_text(exchange& ex, int status, std::string_view content_type, std::string_view body, header_list extra = {});

/// The error as an HTML page or fragment, a JSON `{"error":{"code","message"}}` document, or an SSE stream
/// holding one `error` event (`{"code","message","retryable"}`) — HTTP status from the kind.
void respond_error(exchange& ex, const error& e, response_format format);

/// The JSON data of an SSE `error` event.
std::string sse_error_data(const error& e, bool retryable);

}  // namespace salient
