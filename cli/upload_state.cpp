#include "upload_state.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <sodium.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace salient::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int state_version = 1;

}  // namespace

std::optional<upload_state> load_state(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  if (!j.is_object() || !j.contains("version") || !j["version"].is_number_integer() ||
      j["version"].get<long long>() != state_version)
    return std::nullopt;
  upload_state s;
  auto str = [&](const char* key) { return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string(); };
  s.index_host = str("index_host");
  s.name_space = str("namespace");
  s.provider = str("provider");
  s.model = str("model");
  // -1 for a state without dimensions: it matches no configuration, so the run starts over.
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
      const int error = errno;
      fs::remove(tmp, ec);
      return make_error(errc::internal, "cannot write " + tmp + ": " + std::strerror(error));
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::string why = ec.message();
    fs::remove(tmp, ec);
    return make_error(errc::internal, "cannot replace " + path + ": " + why);
  }
  return {};
}

bool hashing_ready() { return sodium_init() >= 0; }

std::string record_hash(const pinecone_record& r) {
  const std::string data = r.id + '\n' + r.fields;
  unsigned char out[crypto_generichash_BYTES];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(data.data()), data.size(), nullptr, 0);
  char hex[crypto_generichash_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

upload_plan plan_upload(const std::vector<pinecone_record>& records, const upload_state& state) {
  upload_plan plan;
  std::set<std::string> current;
  for (const pinecone_record& r : records) {
    current.insert(r.id);
    std::string hash = record_hash(r);
    auto it = state.records.find(r.id);
    if (it != state.records.end() && it->second == hash) {
      ++plan.unchanged;
    } else {
      plan.todo.push_back(r);
      plan.todo_hashes.push_back(std::move(hash));
    }
  }
  for (const auto& [id, hash] : state.records) {
    if (!current.contains(id)) plan.gone.push_back(id);
  }
  return plan;
}

}  // namespace salient::cli
