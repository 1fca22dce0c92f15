#include "curl_executor.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <string>
#include <string_view>

#include <curl/curl.h>

namespace salient::cli {
namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

/// One header line; a status line starts the list again (an interim 1xx answer's headers are
/// not the final answer's).
std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto& headers = *static_cast<header_list*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    headers.clear();
  } else if (std::size_t colon = line.find(':'); colon != std::string_view::npos && colon > 0) {
    std::string name(trimmed(line.substr(0, colon)));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    headers.push_back({std::move(name), std::string(trimmed(line.substr(colon + 1)))});
  }
  return size * n;
}

effect_failure_kind kind_of(CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: return effect_failure_kind::timeout;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR: return effect_failure_kind::connect;
    default: return effect_failure_kind::network;
  }
}

}  // namespace

fetch_result curl_perform(const outbound_request& rq) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  fetch_result out;
  out.head.status = 0;  // until an answer arrives
  CURL* curl = curl_easy_init();
  if (!curl) {
    out.failure = effect_failure{effect_failure_kind::network, "cannot start libcurl"};
    return out;
  }
  curl_slist* headers = nullptr;
  for (const header& h : rq.headers) headers = curl_slist_append(headers, (h.name + ": " + h.value).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip for large bodies
  char error[CURL_ERROR_SIZE] = {0};
  const long timeout_ms = std::max(1, rq.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_URL, rq.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 15000L));
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &out.head.headers);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
  if (rq.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, rq.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(rq.body.size()));
    if (rq.method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, rq.method.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    out.head.status = static_cast<int>(status);
  } else {
    out.body.clear();
    out.head.headers.clear();
    out.failure = effect_failure{kind_of(rc), std::string(trimmed(error[0] ? error : curl_easy_strerror(rc)))};
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return out;
}

}  // namespace salient::cli
