// `salient sweep [--url <origin>] [--limit <n>]`: asks a running dev server (./scripts/dev) to
// sweep idle conversations now, as the platforms' schedules do (POST <origin>/dev/sweep, which
// the server answers for loopback clients only; hosts/node-dev/sweep-timer.js), and prints what
// the sweep did. The sweep itself is the core's, in the server's summary module: this command
// only triggers it, so it needs no configuration or secret of its own.
#include <cctype>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "curl_executor.h"

namespace salient::cli {
namespace {

constexpr const char* default_url = "http://127.0.0.1:8787";
constexpr int sweep_timeout_ms = 300000;  // a sweep of 50 conversations waits on a model for each

bool all_digits(const std::string& s) {
  for (unsigned char c : s) {
    if (!std::isdigit(c)) return false;
  }
  return !s.empty();
}

/// "claimed 2, sent 2, failed 0, unknown 0; handoffs: team_emails 0, …" and whether more are waiting, or nullopt when the
/// answer lacks a count (not the sweep's answer).
std::optional<std::string> counts_line(const nlohmann::json& body) {
  if (!body.is_object()) return std::nullopt;
  std::string line = "sweep:";
  const char* sep = " ";
  for (const char* key : {"claimed", "sent", "failed", "unknown"}) {
    auto it = body.find(key);
    if (it == body.end() || !it->is_number_integer()) return std::nullopt;
    line += sep + std::string(key) + " " + std::to_string(it->get<long long>());
    sep = ", ";
  }
  // The handoffs' share of the run (team emails, the visitor's lines forwarded, notices).
  if (auto h = body.find("handoffs"); h != body.end() && h->is_object()) {
    std::string part;
    for (const char* key : {"team_emails", "forwards", "notifies", "failed"}) {
      auto it = h->find(key);
      if (it == h->end() || !it->is_number_integer()) return std::nullopt;
      part += (part.empty() ? "" : ", ") + std::string(key) + " " + std::to_string(it->get<long long>());
    }
    line += "; handoffs: " + part;
  }
  auto more = body.find("more");
  if (more == body.end() || !more->is_boolean()) return std::nullopt;
  if (more->get<bool>()) line += " (more are waiting: the next sweep takes them)";
  return line;
}

}  // namespace

int sweep_command(const std::vector<std::string>& args) {
  std::string url = default_url;
  std::string limit;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << usage_text;
      return 0;
    }
    if (a != "--url" && a != "--limit") return usage_error("unknown option " + a);
    if (i + 1 >= args.size()) return usage_error(a + " needs a value");
    (a == "--url" ? url : limit) = args[++i];
  }
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    return usage_error("--url must be the dev server's origin, such as " + std::string(default_url));
  }
  while (url.ends_with("/")) url.pop_back();
  if (!limit.empty() && (!all_digits(limit) || limit.size() > 4 || std::stoi(limit) < 1 || std::stoi(limit) > 1000)) {
    return usage_error("--limit must be a number from 1 to 1000, got " + limit);
  }

  outbound_request rq;
  rq.method = "POST";
  rq.url = url + "/dev/sweep" + (limit.empty() ? "" : "?limit=" + limit);
  rq.headers = {{"accept", "application/json"}};
  rq.timeout_ms = sweep_timeout_ms;
  fetch_result answer = curl_perform(rq);
  if (answer.failure) {
    std::cerr << "salient: error: cannot reach the dev server at " << url << " (" << answer.failure->message
              << "): start it with ./scripts/dev, or give its address with --url\n";
    return 1;
  }
  nlohmann::json body = nlohmann::json::parse(answer.body, nullptr, false);
  if (answer.head.status == 200) {
    if (auto line = counts_line(body)) {
      std::cout << *line << "\n";
      return 0;
    }
  }
  std::string why = "HTTP " + std::to_string(answer.head.status);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const auto& e = body["error"];
    if (e.contains("code") && e["code"].is_string()) why += ": " + e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string()) why += ": " + e["message"].get<std::string>();
  }
  std::cerr << "salient: error: the sweep at " << rq.url << " failed (" << why << ")\n";
  if (answer.head.status == 404 && !body.is_object()) {
    std::cerr << "salient: is " << url << " a Salient dev server (./scripts/dev), reached from this machine?\n";
  }
  return 1;
}

}  // namespace salient::cli
