// `salient ingest --pinecone` (pinecone_upload.h): settings, records, the retrying exchange,
// embeddings, upserts, deletes and the state file; and the libcurl http_client.
#include "pinecone_upload.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

#include <curl/curl.h>
#include <sodium.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "salient/upstream/pinecone/pinecone.h"

namespace salient::cli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A function, not a global std::string: no static initialisation order to think about.
std::string api_version() { return std::string(pinecone_api_version); }
constexpr std::size_t max_batch = 96;            // /embed and integrated upsert limit
constexpr std::size_t max_upsert_bytes = 2000000 - 4096;  // Pinecone's 2 MB (read as 10^6), less the envelope
constexpr std::size_t max_delete_ids = 1000;
constexpr int state_version = 1;

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// --- libcurl --------------------------------------------------------------------------------

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  std::string line(data, size * n);
  constexpr std::string_view name = "retry-after:";
  if (line.size() > name.size()) {
    std::string head = line.substr(0, name.size());
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (head == name) {
      std::string value = line.substr(name.size());
      auto not_space = [](unsigned char c) { return !std::isspace(c); };
      value.erase(value.begin(), std::find_if(value.begin(), value.end(), not_space));
      value.erase(std::find_if(value.rbegin(), value.rend(), not_space).base(), value.end());
      *static_cast<std::string*>(user) = value;
    }
  }
  return size * n;
}

class curl_client final : public http_client {
 public:
  explicit curl_client(std::chrono::milliseconds timeout) : timeout_(timeout) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  http_response send(const http_request& rq) override {
    http_response out;
    CURL* curl = curl_easy_init();
    if (!curl) {
      out.error = "cannot start libcurl";
      return out;
    }
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : rq.headers) headers = curl_slist_append(headers, (k + ": " + v).c_str());
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip for large bodies
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_URL, rq.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<long long>(timeout_.count(), 15000)));
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &out.retry_after);
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
      out.status = static_cast<int>(status);
    } else {
      out.status = 0;
      out.body.clear();
      out.error = error[0] ? error : curl_easy_strerror(rc);
      while (!out.error.empty() && std::isspace(static_cast<unsigned char>(out.error.back()))) out.error.pop_back();
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return out;
  }

 private:
  std::chrono::milliseconds timeout_;
};

// --- the retrying exchange ------------------------------------------------------------------

/// The upstream's own message: Pinecone's data plane `{code, message, details}`, its control
/// plane `{error:{code, message}, status}`, OpenAI's `{error:{message}}`; else the body itself
/// (shortened to one line).
std::string upstream_message(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    if (auto e = j.find("error"); e != j.end()) {
      if (e->is_object() && e->contains("message") && (*e)["message"].is_string()) return (*e)["message"].get<std::string>();
      if (e->is_string()) return e->get<std::string>();
    }
    if (auto m = j.find("message"); m != j.end() && m->is_string()) return m->get<std::string>();
  }
  std::string text = body.substr(0, 300);
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  if (body.size() > 300) text += "…";
  return text.empty() ? "(empty body)" : text;
}

bool retryable(int status) { return status == 0 || status == 408 || status == 429 || status >= 500; }

/// Retry-After as a delay: delta-seconds (fractions accepted) or an HTTP date; nullopt if absent or bad.
std::optional<std::chrono::milliseconds> retry_after(const std::string& value) {
  if (value.empty()) return std::nullopt;
  char* end = nullptr;
  double seconds = std::strtod(value.c_str(), &end);
  if (end != value.c_str() && *end == '\0' && std::isfinite(seconds) && seconds >= 0) {
    return std::chrono::milliseconds(static_cast<long long>(std::min(seconds, 86400.0) * 1000));
  }
  time_t at = curl_getdate(value.c_str(), nullptr);
  if (at < 0) return std::nullopt;
  long long delta = static_cast<long long>(at) - static_cast<long long>(std::time(nullptr));
  return std::chrono::milliseconds(std::clamp(delta, 0LL, 86400LL) * 1000);
}

std::string seconds_text(std::chrono::milliseconds d) {
  char out[32];
  std::snprintf(out, sizeof out, "%.1f s", static_cast<double>(d.count()) / 1000.0);
  return out;
}

/// Sends `rq` until it gets a 2xx, a final error, or runs out of attempts. `what` names the
/// call in messages ("OpenAI embeddings", "Pinecone upsert").
result<http_response> exchange(upload_io& io, const http_request& rq, const std::string& what) {
  const int attempts = std::max(1, io.max_attempts);
  for (int attempt = 1;; ++attempt) {
    http_response r = io.http->send(rq);
    if (r.status >= 200 && r.status < 300) return r;
    std::string problem = r.status == 0 ? r.error : "HTTP " + std::to_string(r.status) + ": " + upstream_message(r.body);
    if (!retryable(r.status)) return make_error(errc::upstream, what + ": " + problem);
    if (attempt >= attempts) {
      return make_error(r.status == 0 ? errc::unavailable : errc::upstream,
                        what + ": " + problem + " (gave up after " + std::to_string(attempts) + " attempts)");
    }
    std::chrono::milliseconds delay = io.first_backoff * (1LL << std::min(attempt - 1, 20));
    if (auto hinted = retry_after(r.retry_after)) delay = *hinted;
    delay = std::min(delay, io.max_sleep);
    if (io.note) {
      io.note(what + ": " + problem + "; retrying in " + seconds_text(delay) + " (attempt " + std::to_string(attempt + 1) +
              " of " + std::to_string(attempts) + ")");
    }
    if (io.sleep) io.sleep(delay);
  }
}

http_request pinecone_request(const pinecone_settings& s, std::string method, std::string url, std::string body,
                              const char* content_type = "application/json") {
  http_request rq;
  rq.method = std::move(method);
  rq.url = std::move(url);
  rq.body = std::move(body);
  rq.headers = {{"Api-Key", s.api_key}, {"X-Pinecone-Api-Version", api_version()}, {"Accept", "application/json"}};
  if (rq.method != "GET") rq.headers.emplace_back("Content-Type", content_type);
  return rq;
}

json parse_object(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  return j.is_object() ? j : json();
}

// --- index host -----------------------------------------------------------------------------

std::string with_scheme(const std::string& host) {
  if (host.starts_with("http://") || host.starts_with("https://")) return trim_slash(host);
  return trim_slash("https://" + host);
}

result<std::string> resolve_host(const pinecone_settings& s, upload_io& io) {
  if (!s.index_host.empty()) return with_scheme(s.index_host);
  auto r = exchange(io, pinecone_request(s, "GET", s.api_url + "/indexes/" + percent_encode(s.index_name), ""),
                    "Pinecone describe index " + s.index_name);
  if (!r) return r.err();
  json j = parse_object(r->body);
  if (!j.contains("host") || !j["host"].is_string() || j["host"].get<std::string>().empty()) {
    return make_error(errc::bad_request, "Pinecone describe index " + s.index_name + ": the answer has no host");
  }
  return with_scheme(j["host"].get<std::string>());
}

// --- state ----------------------------------------------------------------------------------

struct upload_state {
  std::string index_host, name_space, provider, model;
  int dimensions = 0;
  std::map<std::string, std::string> records;  // id → hash
};

/// The state file, or nullopt when it is absent or not a state file we wrote.
std::optional<upload_state> load_state(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  if (!j.is_object() || j.value("version", 0) != state_version) return std::nullopt;
  upload_state s;
  auto str = [&](const char* key) { return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string(); };
  s.index_host = str("index_host");
  s.name_space = str("namespace");
  s.provider = str("provider");
  s.model = str("model");
  s.dimensions = j.contains("dimensions") && j["dimensions"].is_number_integer() ? j["dimensions"].get<int>() : -1;
  if (j.contains("records") && j["records"].is_object()) {
    for (const auto& [id, hash] : j["records"].items()) {
      if (hash.is_string()) s.records[id] = hash.get<std::string>();
    }
  }
  return s;
}

result<void> save_state(const std::string& path, const upload_state& s) {
  json j = {{"version", state_version}, {"index_host", s.index_host}, {"namespace", s.name_space}, {"provider", s.provider},
            {"model", s.model}, {"dimensions", s.dimensions}, {"records", s.records}};
  std::error_code ec;
  fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << j.dump(1) << "\n";
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      return make_error(errc::internal, "cannot write " + tmp + ": " + std::strerror(errno));
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return make_error(errc::internal, "cannot replace " + path + ": " + ec.message());
  }
  return {};
}

// --- embeddings -----------------------------------------------------------------------------

/// One vector per text, in order, each a JSON array of numbers, all of one length.
result<std::vector<json>> check_vectors(std::vector<json> vectors, std::size_t expected, int dimensions,
                                        const std::string& what) {
  if (vectors.size() != expected) {
    return make_error(errc::bad_request, what + ": " + std::to_string(vectors.size()) + " vectors for " +
                                             std::to_string(expected) + " inputs");
  }
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    const json& v = vectors[i];
    if (!v.is_array() || v.empty() || !std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_number(); })) {
      return make_error(errc::bad_request, what + ": vector " + std::to_string(i) + " is not a non-empty list of numbers");
    }
    if (v.size() != vectors[0].size()) {
      return make_error(errc::bad_request, what + ": vectors of different lengths (" + std::to_string(vectors[0].size()) +
                                               " and " + std::to_string(v.size()) + ")");
    }
  }
  if (dimensions > 0 && vectors[0].size() != static_cast<std::size_t>(dimensions)) {
    return make_error(errc::bad_request, what + ": vectors of " + std::to_string(vectors[0].size()) +
                                             " dimensions, embeddings.dimensions is " + std::to_string(dimensions));
  }
  return vectors;
}

result<std::vector<json>> embed_openai(const pinecone_settings& s, upload_io& io, const std::vector<std::string>& texts) {
  json body = {{"model", s.model}, {"input", texts}, {"encoding_format", "float"}};
  if (s.dimensions > 0) body["dimensions"] = s.dimensions;
  http_request rq;
  rq.url = s.openai_url + "/embeddings";
  rq.body = body.dump();
  rq.headers = {{"Authorization", "Bearer " + s.openai_key}, {"Content-Type", "application/json"}};
  const std::string what = "OpenAI embeddings";
  auto r = exchange(io, rq, what);
  if (!r) return r.err();
  json j = parse_object(r->body);
  if (!j.contains("data") || !j["data"].is_array()) return make_error(errc::bad_request, what + ": the answer has no data list");
  std::vector<json> vectors(j["data"].size());
  std::vector<bool> seen(vectors.size(), false);
  for (std::size_t i = 0; i < j["data"].size(); ++i) {
    const json& d = j["data"][i];
    std::size_t at = i;
    if (d.is_object() && d.contains("index")) {
      if (!d["index"].is_number_unsigned() || d["index"].get<std::size_t>() >= vectors.size() || seen[d["index"].get<std::size_t>()]) {
        return make_error(errc::bad_request, what + ": a bad or repeated index in the answer");
      }
      at = d["index"].get<std::size_t>();
    }
    seen[at] = true;
    vectors[at] = d.is_object() && d.contains("embedding") ? d["embedding"] : json();
  }
  return check_vectors(std::move(vectors), texts.size(), s.dimensions, what);
}

result<std::vector<json>> embed_pinecone(const pinecone_settings& s, upload_io& io, const std::vector<std::string>& texts) {
  json parameters = {{"input_type", "passage"}, {"truncate", "END"}};
  if (s.dimensions > 0) parameters["dimension"] = s.dimensions;
  json inputs = json::array();
  for (const std::string& t : texts) inputs.push_back({{"text", t}});
  json body = {{"model", s.model}, {"parameters", parameters}, {"inputs", inputs}};
  const std::string what = "Pinecone embed";
  auto r = exchange(io, pinecone_request(s, "POST", s.api_url + "/embed", body.dump()), what);
  if (!r) return r.err();
  json j = parse_object(r->body);
  if (!j.contains("data") || !j["data"].is_array()) return make_error(errc::bad_request, what + ": the answer has no data list");
  std::vector<json> vectors;
  for (const json& d : j["data"]) vectors.push_back(d.is_object() && d.contains("values") ? d["values"] : json());
  return check_vectors(std::move(vectors), texts.size(), s.dimensions, what);
}

// --- upserts and deletes ----------------------------------------------------------------------

/// Groups serialised items into bodies of at most max_upsert_bytes (one item may exceed it alone).
std::vector<std::vector<std::string>> by_size(std::vector<std::string> items) {
  std::vector<std::vector<std::string>> groups;
  std::size_t bytes = 0;
  for (std::string& item : items) {
    if (groups.empty() || (bytes + item.size() + 1 > max_upsert_bytes && !groups.back().empty())) {
      groups.emplace_back();
      bytes = 0;
    }
    bytes += item.size() + 1;
    groups.back().push_back(std::move(item));
  }
  return groups;
}

result<void> upsert_vectors(const pinecone_settings& s, upload_io& io, const std::string& host,
                            const std::vector<const pinecone_record*>& batch, const std::vector<json>& vectors) {
  std::vector<std::string> items;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    json item = {{"id", batch[i]->id}, {"values", vectors[i]}, {"metadata", json::parse(batch[i]->fields)}};
    items.push_back(item.dump());
  }
  const std::string what = "Pinecone upsert";
  for (const std::vector<std::string>& group : by_size(std::move(items))) {
    std::string body = "{\"vectors\":[";
    for (std::size_t i = 0; i < group.size(); ++i) body += (i ? "," : "") + group[i];
    body += "],\"namespace\":" + json(s.name_space).dump() + "}";
    auto r = exchange(io, pinecone_request(s, "POST", host + "/vectors/upsert", std::move(body)), what);
    if (!r) return r.err();
    json j = parse_object(r->body);
    if (!j.contains("upsertedCount") || !j["upsertedCount"].is_number_unsigned() ||
        j["upsertedCount"].get<std::size_t>() != group.size()) {
      return make_error(errc::bad_request, what + ": sent " + std::to_string(group.size()) +
                                               " vectors, the answer does not say that many were upserted: " +
                                               upstream_message(r->body));
    }
  }
  return {};
}

result<void> upsert_records(const pinecone_settings& s, upload_io& io, const std::string& host,
                            const std::vector<const pinecone_record*>& batch) {
  std::vector<std::string> lines;
  for (const pinecone_record* r : batch) {
    json line = json::parse(r->fields);
    line["_id"] = r->id;
    lines.push_back(line.dump());
  }
  const std::string url = host + "/records/namespaces/" + percent_encode(s.name_space) + "/upsert";
  for (const std::vector<std::string>& group : by_size(std::move(lines))) {
    std::string body;
    for (const std::string& line : group) body += line + "\n";
    auto r = exchange(io, pinecone_request(s, "POST", url, std::move(body), "application/x-ndjson"), "Pinecone records upsert");
    if (!r) return r.err();
  }
  return {};
}

result<void> delete_ids(const pinecone_settings& s, upload_io& io, const std::string& host, const std::vector<std::string>& ids) {
  json body = {{"ids", ids}, {"namespace", s.name_space}};
  auto r = exchange(io, pinecone_request(s, "POST", host + "/vectors/delete", body.dump()), "Pinecone delete");
  if (!r) return r.err();
  return {};
}

std::string hex_hash(const std::string& data) {
  unsigned char out[crypto_generichash_BYTES];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(data.data()), data.size(), nullptr, 0);
  char hex[crypto_generichash_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

}  // namespace

std::unique_ptr<http_client> make_curl_client(std::chrono::milliseconds timeout) {
  return std::make_unique<curl_client>(timeout);
}

std::string percent_encode(const std::string& text) {
  static const char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

result<pinecone_settings> pinecone_settings_from(const config& c, const std::function<std::string(const char*)>& env,
                                                 const std::string& agent) {
  pinecone_settings s;
  auto missing = [](std::string m) { return make_error(errc::misconfigured, std::move(m)); };
  s.api_key = env("PINECONE_API_KEY");
  if (s.api_key.empty()) return missing("PINECONE_API_KEY is not set (the Pinecone API key, from the environment)");
  // URLs from the environment must carry their scheme, as the functions require (a host the
  // control plane describes is the one given without one).
  auto url_from = [&](const char* name, std::string_view fallback) -> result<std::string> {
    std::string v = env(name);
    if (v.empty()) return std::string(fallback);
    if (!v.starts_with("http://") && !v.starts_with("https://")) return missing(std::string(name) + " must start with http:// or https://");
    return trim_slash(v);
  };
  auto api_url = url_from("PINECONE_API_URL", default_pinecone_api_url);
  if (!api_url) return api_url.err();
  s.api_url = *api_url;
  auto index_host = url_from("PINECONE_INDEX_HOST", "");
  if (!index_host) return index_host.err();
  s.index_name = c.vector.pinecone_index_name;
  s.index_host = index_host->empty() ? trim_slash(c.vector.pinecone_host) : *index_host;
  if (s.index_name.empty() && s.index_host.empty()) {
    return missing("vector.pinecone.index_name is not set in the configuration (nor vector.pinecone.host, nor PINECONE_INDEX_HOST)");
  }
  std::string code = agent.empty() ? c.app.default_agent : agent;
  if (c.vector.pinecone_namespace_per_agent) {
    bool known = std::any_of(c.agents.begin(), c.agents.end(), [&](const agent_config& a) { return a.code == code; });
    if (!known) return missing("agent " + code + " is not in the configuration's agents");
  }
  s.name_space = pinecone_namespace(c.app.tenant, code, c.vector.pinecone_namespace_per_agent);
  s.integrated = c.vector.pinecone_integrated;
  s.text_field = c.vector.pinecone_text_field.empty() ? "text" : c.vector.pinecone_text_field;
  if (s.integrated) {
    s.provider = "integrated";  // the index embeds the text itself: no model, no dimensions of ours
  } else {
    s.provider = c.embeddings.provider;
    s.model = c.embeddings.model;
    s.dimensions = c.embeddings.dimensions;
    if (s.provider == "openai") {
      s.openai_key = env("OPENAI_API_KEY");
      if (s.openai_key.empty()) {
        return missing("OPENAI_API_KEY is not set (needed for embeddings.provider openai unless vector.pinecone.integrated)");
      }
      auto openai_url = url_from("OPENAI_BASE_URL", default_openai_base_url);
      if (!openai_url) return openai_url.err();
      s.openai_url = *openai_url;
    } else if (s.provider != "pinecone") {
      return missing("embeddings.provider " + s.provider + " is not supported (openai | pinecone)");
    }
  }
  return s;
}

std::vector<pinecone_record> pinecone_records(const std::vector<knowledge_chunk>& chunks, const std::string& text_field) {
  if (sodium_init() < 0) return {};  // cannot happen on a supported system; hashing needs it
  std::vector<pinecone_record> out;
  std::map<std::string, std::size_t> count;
  for (const knowledge_chunk& c : chunks) {
    pinecone_record r;
    r.id = c.source + "#" + std::to_string(count[c.source]++);
    r.text = c.text;
    json fields = json::object();
    // Pinecone refuses null metadata; empty strings are left out as well (the runtime reads
    // absent and empty alike). The text field comes last so a text_field named like another
    // field still holds the text.
    for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"title", &c.title},
                                     {"heading", &c.heading}, {"url", &c.url}, {"source", &c.source}}) {
      if (!value->empty()) fields[key] = *value;
    }
    fields[text_field] = c.text;
    r.fields = fields.dump();
    r.hash = hex_hash(r.id + '\n' + r.fields);
    out.push_back(std::move(r));
  }
  return out;
}

result<upload_report> upload_to_pinecone(const std::vector<pinecone_record>& records, const pinecone_settings& settings,
                                         const std::string& state_path, upload_io& io) {
  upload_report report;
  auto host = resolve_host(settings, io);
  if (!host) return host.err();
  report.index_host = *host;
  report.name_space = settings.name_space;

  upload_state now{*host, settings.name_space, settings.provider, settings.model, settings.dimensions, {}};
  upload_state state = now;
  if (std::optional<upload_state> old = load_state(state_path)) {
    if (old->index_host == now.index_host && old->name_space == now.name_space && old->provider == now.provider &&
        old->model == now.model && old->dimensions == now.dimensions) {
      state.records = std::move(old->records);
    } else if (!old->records.empty()) {
      report.started_over = true;
      if (io.note) {
        io.note("the state in " + state_path + " is for index " + old->index_host + ", namespace " + old->name_space +
                ", " + old->provider + (old->model.empty() ? "" : " " + old->model) + ", dimensions " +
                std::to_string(old->dimensions) + "; starting over (uploading everything)");
      }
    }
  }

  std::vector<const pinecone_record*> todo;
  std::set<std::string> current;
  for (const pinecone_record& r : records) {
    current.insert(r.id);
    auto it = state.records.find(r.id);
    if (it != state.records.end() && it->second == r.hash) ++report.unchanged;
    else todo.push_back(&r);
  }
  std::vector<std::string> gone;
  for (const auto& [id, hash] : state.records) {
    if (!current.contains(id)) gone.push_back(id);
  }

  const std::size_t batch_size = std::clamp<std::size_t>(settings.batch, 1, max_batch);
  if (io.progress && !todo.empty()) io.progress(0, todo.size());
  std::size_t dimension = 0;  // of the first vectors embedded this run: all must match it
  for (std::size_t start = 0; start < todo.size(); start += batch_size) {
    std::vector<const pinecone_record*> batch(todo.begin() + static_cast<std::ptrdiff_t>(start),
                                              todo.begin() + static_cast<std::ptrdiff_t>(std::min(todo.size(), start + batch_size)));
    if (settings.integrated) {
      if (auto r = upsert_records(settings, io, *host, batch); !r) return r.err();
    } else {
      std::vector<std::string> texts;
      for (const pinecone_record* r : batch) texts.push_back(r->text);
      auto vectors = settings.provider == "pinecone" ? embed_pinecone(settings, io, texts) : embed_openai(settings, io, texts);
      if (!vectors) return vectors.err();
      if (dimension == 0) dimension = (*vectors)[0].size();
      if ((*vectors)[0].size() != dimension) {
        return make_error(errc::bad_request, "embeddings changed length mid-run: " + std::to_string(dimension) + " then " +
                                                 std::to_string((*vectors)[0].size()));
      }
      if (auto r = upsert_vectors(settings, io, *host, batch, *vectors); !r) return r.err();
    }
    for (const pinecone_record* r : batch) state.records[r->id] = r->hash;
    if (auto saved = save_state(state_path, state); !saved) return saved.err();
    report.uploaded += batch.size();
    if (io.progress) io.progress(report.uploaded, todo.size());
  }

  for (std::size_t start = 0; start < gone.size(); start += max_delete_ids) {
    std::vector<std::string> ids(gone.begin() + static_cast<std::ptrdiff_t>(start),
                                 gone.begin() + static_cast<std::ptrdiff_t>(std::min(gone.size(), start + max_delete_ids)));
    if (auto r = delete_ids(settings, io, *host, ids); !r) return r.err();
    for (const std::string& id : ids) state.records.erase(id);
    if (auto saved = save_state(state_path, state); !saved) return saved.err();
    report.deleted += ids.size();
  }
  // A run with nothing to do still records the header (e.g. a first run on empty knowledge).
  if (todo.empty() && gone.empty()) {
    if (auto saved = save_state(state_path, state); !saved) return saved.err();
  }
  return report;
}

}  // namespace salient::cli
