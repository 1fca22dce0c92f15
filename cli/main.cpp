// The native `salient` CLI: checks salient.yaml and compiles it to the JSON the functions read.
// The YAML is converted to JSON (yaml_json.h) and validated by the same salient::parse_config
// the functions run, so the CLI and the functions cannot disagree about what is valid.
//
// Exit status: 0 ok, 1 invalid configuration or unreadable/unwritable file, 2 bad usage.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "salient/config.h"
#include "yaml_json.h"

#ifndef SALIENT_VERSION
#define SALIENT_VERSION "0.0.0"
#endif

namespace {

namespace fs = std::filesystem;
using salient::cli::position;

constexpr const char* usage_text =
    "Usage:\n"
    "  salient config check <file.yaml>                 validate a configuration\n"
    "  salient config compile <file.yaml> [-o <out.json>]\n"
    "                                                   validate it and write the normalised JSON\n"
    "                                                   (to stdout without -o; the file is rewritten\n"
    "                                                   only when its content changes)\n"
    "  salient --help | --version\n"
    "\n"
    "Errors are printed as FILE:LINE:COLUMN: error: MESSAGE. Exit status: 0 ok, 1 invalid\n"
    "configuration or file error, 2 bad usage. Keys and defaults: docs/CONFIG.md.\n";

int usage_error(const std::string& message) {
  std::cerr << "salient: " << message << "\n\n" << usage_text;
  return 2;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return s.str();
}

void report(const std::string& file, position at, const std::string& message) {
  std::cerr << file << ":" << at.line << ":" << at.column << ": error: " << message << "\n";
}

/// The normalised JSON of a valid file (pretty-printed, sections in a fixed order), or nullopt
/// after printing the error.
std::optional<std::string> compile(const std::string& file) {
  std::optional<std::string> text = read_file(file);
  if (!text) {
    std::cerr << "salient: error: cannot read " << file << ": " << std::strerror(errno) << "\n";
    return std::nullopt;
  }
  salient::cli::yaml_document doc;
  try {
    doc = salient::cli::yaml_to_json(*text);
  } catch (const salient::cli::yaml_error& e) {
    report(file, e.at, e.what());
    return std::nullopt;
  }
  auto c = salient::parse_config(doc.json);
  if (!c) {
    const std::string& m = c.err().message;
    bool about_key = m.starts_with("unknown key") || m.starts_with("agent code");
    report(file, doc.locate(c.err().path, about_key), m);
    return std::nullopt;
  }
  return nlohmann::ordered_json::parse(salient::to_json(*c)).dump(2) + "\n";
}

/// Writes `content` to `path` via a temporary file and a rename, and only if it differs from
/// what is there, so that build steps depending on the file do not rerun needlessly.
bool write_if_changed(const std::string& path, const std::string& content) {
  if (read_file(path) == content) {
    std::cout << path << " is up to date\n";
    return true;
  }
  std::error_code ec;
  fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) {
      std::cerr << "salient: error: cannot write " << tmp << ": " << std::strerror(errno) << "\n";
      fs::remove(tmp, ec);
      return false;
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::cerr << "salient: error: cannot replace " << path << ": " << ec.message() << "\n";
    fs::remove(tmp, ec);
    return false;
  }
  std::cout << "wrote " << path << "\n";
  return true;
}

int config_command(const std::vector<std::string>& args) {
  if (args.empty()) return usage_error("missing subcommand: config check | config compile");
  const std::string& sub = args[0];
  if (sub != "check" && sub != "compile") return usage_error("unknown subcommand: config " + sub);
  std::optional<std::string> input, output;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (sub == "compile" && (a == "-o" || a == "--output")) {
      if (i + 1 == args.size()) return usage_error(a + " needs a file name");
      if (output) return usage_error("more than one output file");
      output = args[++i];
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("unknown option " + a);
    } else if (input) {
      return usage_error("more than one input file");
    } else {
      input = a;
    }
  }
  if (!input) return usage_error("missing the YAML file");

  std::optional<std::string> json = compile(*input);
  if (!json) return 1;
  if (sub == "check") {
    std::cout << *input << ": ok\n";
    return 0;
  }
  if (!output || *output == "-") {
    std::cout << *json;
    return std::cout.good() ? 0 : 1;
  }
  return write_if_changed(*output, *json) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage_error("missing command");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << usage_text;
    return 0;
  }
  if (args[0] == "--version") {
    std::cout << "salient " << SALIENT_VERSION << "\n";
    return 0;
  }
  if (args[0] == "config") return config_command({args.begin() + 1, args.end()});
  return usage_error("unknown command: " + args[0]);
}
