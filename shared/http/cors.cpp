#include "http/cors.h"

#include "salient/http/respond.h"

namespace salient {

std::string_view allowed_cross_origin(const request& req, const config& cfg) {
  std::string_view origin = req.header("origin");
  if (origin.empty() || origin == "null") return {};
  std::size_t scheme_end = origin.find("://");
  std::string_view host = scheme_end == std::string_view::npos ? origin : origin.substr(scheme_end + 3);
  if (host == req.header("host")) return {};  // the page is on this site: no CORS needed
  for (const auto& allowed : cfg.app.allowed_origins)
    if (allowed == origin) return origin;
  return {};
}

header_list cors_response_headers(const request& req, const config& cfg) {
  header_list out;
  if (cfg.app.allowed_origins.empty()) return out;
  out.push_back({"vary", "Origin"});
  std::string_view origin = allowed_cross_origin(req, cfg);
  if (origin.empty()) return out;
  out.push_back({"access-control-allow-origin", std::string(origin)});
  // The widget on a listed site shows when a refused request may be tried again (429, 503).
  out.push_back({"access-control-expose-headers", "Retry-After"});
  return out;
}

task<void> cors_preflight(exchange& ex, const config& cfg) {
  if (allowed_cross_origin(ex.req(), cfg).empty()) {
    respond_error(ex, make_error(errc::forbidden, "cross-site requests are not allowed from this origin"),
                  response_format::json);
    co_return;
  }
  // The widget's calls: JSON POSTs (chat, history, sessions) and the stream GET, which sends
  // Last-Event-ID when it resumes. A day's max-age spares a preflight per message.
  ex.respond({204,
              {{"access-control-allow-methods", "GET, POST"},
               {"access-control-allow-headers", "content-type, accept, last-event-id"},
               {"access-control-max-age", "86400"}}});
}

}  // namespace salient
