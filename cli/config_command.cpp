// `salient config check|compile` (commands.h): salient.yaml → JSON (yaml_json.h), validated by
// the same salient::parse_config the functions run, so the CLI and the functions cannot
// disagree about what is valid (docs/CONFIG.md).
#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "files.h"
#include "salient/config/config.h"
#include "yaml_json.h"

namespace salient::cli {
namespace {

void report(const std::string& file, position at, const std::string& message) {
  std::cerr << file << ":" << at.line << ":" << at.column << ": error: " << message << "\n";
}

/// The normalised JSON of a valid file (pretty-printed, sections in a fixed order), or nullopt
/// after printing the error.
std::optional<std::string> compile(const std::string& file) {
  std::optional<config> c = load_config(file);
  if (!c) return std::nullopt;
  return nlohmann::ordered_json::parse(to_json(*c)).dump(2) + "\n";
}

/// write_file_if_changed, saying on stdout what it did.
bool write_if_changed(const std::string& path, const std::string& content) {
  write_outcome w = write_file_if_changed(path, content);
  if (w == write_outcome::unchanged) std::cout << path << " is up to date\n";
  if (w == write_outcome::written) std::cout << "wrote " << path << "\n";
  return w != write_outcome::failed;
}

}  // namespace

std::optional<config> load_config(const std::string& file) {
  std::optional<std::string> text = read_file(file);
  if (!text) {
    std::cerr << "salient: error: cannot read " << file << ": " << std::strerror(errno) << "\n";
    return std::nullopt;
  }
  yaml_document doc;
  try {
    doc = yaml_to_json(*text);
  } catch (const yaml_error& e) {
    report(file, e.at, e.what());
    return std::nullopt;
  }
  auto c = parse_config(doc.json);
  if (!c) {
    const std::string& m = c.err().message;
    bool about_key = m.starts_with("unknown key") || m.starts_with("agent code") ||
                     m.find(" is not supported yet (") != std::string::npos;  // a refused key
    report(file, doc.locate(c.err().path, about_key), m);
    return std::nullopt;
  }
  return std::move(*c);
}

int config_command(const std::vector<std::string>& args) {
  if (args.empty()) return usage_error("missing subcommand: config check | config compile | config reference");
  const std::string& sub = args[0];
  if (sub == "reference" && args.size() == 1) {  // docs/CONFIG.md's reference tables
    std::cout << config_reference();
    return std::cout.good() ? 0 : 1;
  }
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

}  // namespace salient::cli
