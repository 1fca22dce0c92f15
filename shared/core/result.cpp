#include "salient/core/result.h"

namespace salient {

int http_status(errc kind) {
  switch (kind) {
    case errc::bad_request: return 400;
    case errc::unauthorized: return 401;
    case errc::forbidden: return 403;
    case errc::not_found: return 404;
    case errc::method_not_allowed: return 405;
    case errc::conflict: return 409;
    case errc::gone: return 410;
    case errc::too_many_requests: return 429;
    case errc::payload_too_large: return 413;
    case errc::unsupported_media_type: return 415;
    case errc::not_implemented: return 501;
    case errc::upstream: return 502;
    case errc::unavailable: return 503;
    case errc::misconfigured: return 500;
    case errc::internal: return 500;
  }
  return 500;
}

const char* code_name(errc kind) {
  switch (kind) {
    case errc::bad_request: return "bad_request";
    case errc::unauthorized: return "unauthorized";
    case errc::forbidden: return "forbidden";
    case errc::not_found: return "not_found";
    case errc::method_not_allowed: return "method_not_allowed";
    case errc::conflict: return "conflict";
    case errc::gone: return "gone";
    case errc::too_many_requests: return "too_many_requests";
    case errc::payload_too_large: return "payload_too_large";
    case errc::unsupported_media_type: return "unsupported_media_type";
    case errc::not_implemented: return "not_implemented";
    case errc::upstream: return "upstream_error";
    case errc::unavailable: return "unavailable";
    case errc::misconfigured: return "misconfigured";
    case errc::internal: return "internal";
  }
  return "internal";
}

}  // namespace salient
