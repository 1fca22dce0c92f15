// The native `salient` CLI: checks salient.yaml and compiles it to the JSON the functions read,
// and builds the knowledge index from knowledge/ (`salient ingest`, ingest.h), which
// `--pinecone` also uploads to a Pinecone index (pinecone_upload.h).
// The YAML is converted to JSON (yaml_json.h) and validated by the same salient::parse_config
// the functions run, so the CLI and the functions cannot disagree about what is valid.
//
// Exit status: 0 ok, 1 invalid configuration or input, or unreadable/unwritable file, 2 bad usage.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "ingest.h"
#include "pinecone_upload.h"
#include "salient/config/config.h"
#include "salient/knowledge/knowledge.h"
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
    "  salient ingest [<dir>] [-o <out>] [--json <chunks.json>]\n"
    "                                                   build the knowledge index from the .md,\n"
    "                                                   .html and .txt files under <dir> (default\n"
    "                                                   knowledge) into <out> (default\n"
    "                                                   build/knowledge.bin), rewritten only when\n"
    "                                                   its content changes; --json also writes the\n"
    "                                                   chunks as JSON\n"
    "  salient ingest [<dir>] --pinecone [--config <salient.yaml>] [--agent <code>]\n"
    "                 [--batch <n>] [--state <file>] [-o <out>] [--json <chunks.json>]\n"
    "                                                   the same, then upload the chunks to the\n"
    "                                                   Pinecone index of the configuration\n"
    "                                                   (default salient.yaml): only new or\n"
    "                                                   changed ones, deleting removed ones, as\n"
    "                                                   recorded in --state (default\n"
    "                                                   build/pinecone-ingest.json); --batch chunks\n"
    "                                                   per request (1-96, default 96); --agent\n"
    "                                                   picks the namespace when it is per agent.\n"
    "                                                   (keys and URLs from the environment:\n"
    "                                                   docs/KNOWLEDGE.md, \"Loading Pinecone\")\n"
    "  salient --help | --version\n"
    "\n"
    "Errors are printed as FILE:LINE:COLUMN: error: MESSAGE (config) or FILE: error: MESSAGE\n"
    "(ingest). Exit status: 0 ok, 1 invalid configuration or input, or file error, 2 bad usage.\n"
    "Keys and defaults: docs/CONFIG.md; the knowledge index: docs/KNOWLEDGE.md.\n";

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

/// The configuration in a valid file, or nullopt after printing the error.
std::optional<salient::config> load_config(const std::string& file) {
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
  return std::move(*c);
}

/// The normalised JSON of a valid file (pretty-printed, sections in a fixed order), or nullopt
/// after printing the error.
std::optional<std::string> compile(const std::string& file) {
  std::optional<salient::config> c = load_config(file);
  if (!c) return std::nullopt;
  return nlohmann::ordered_json::parse(salient::to_json(*c)).dump(2) + "\n";
}

enum class write_outcome { unchanged, written, failed };

/// Writes `content` to `path` via a temporary file and a rename, and only if it differs from
/// what is there, so that build steps depending on the file do not rerun needlessly. Prints
/// only errors.
write_outcome write_file_if_changed(const std::string& path, const std::string& content) {
  if (read_file(path) == content) return write_outcome::unchanged;
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
      return write_outcome::failed;
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::cerr << "salient: error: cannot replace " << path << ": " << ec.message() << "\n";
    fs::remove(tmp, ec);
    return write_outcome::failed;
  }
  return write_outcome::written;
}

/// write_file_if_changed, saying on stdout what it did.
bool write_if_changed(const std::string& path, const std::string& content) {
  write_outcome w = write_file_if_changed(path, content);
  if (w == write_outcome::unchanged) std::cout << path << " is up to date\n";
  if (w == write_outcome::written) std::cout << "wrote " << path << "\n";
  return w != write_outcome::failed;
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

/// "812 B", "61.2 KB", "123 KB", "4.5 MB" (1 KB = 1024 bytes).
std::string human_size(std::size_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  char out[32];
  if (u == 0) std::snprintf(out, sizeof out, "%zu B", bytes);
  else std::snprintf(out, sizeof out, v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
  return out;
}

std::string chunks_json(const std::vector<salient::knowledge_chunk>& chunks) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const salient::knowledge_chunk& c = chunks[i];
    out.push_back({{"id", i}, {"source", c.source}, {"title", c.title}, {"heading", c.heading}, {"url", c.url}, {"text", c.text}});
  }
  return out.dump(2) + "\n";
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

/// The progress of the Pinecone upload on stderr: one updating bar on a terminal, else one line
/// per batch (logs of CI runs stay readable).
void show_progress(bool tty, std::size_t done, std::size_t total) {
  if (!tty) {
    if (done > 0) std::cerr << "pinecone: " << done << "/" << total << " chunks\n";
    return;
  }
  constexpr std::size_t width = 30;
  std::size_t filled = total ? done * width / total : width;
  std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << done << "/" << total
            << " chunks" << (done == total ? "\n" : "") << std::flush;
}

/// The flags that go with --pinecone.
struct pinecone_options {
  bool enabled = false;
  std::optional<std::string> config, agent, state, batch;

  /// Where the value of `flag` goes, or nullptr when it is not one of these flags.
  std::optional<std::string>* value_of(const std::string& flag) {
    if (flag == "--config") return &config;
    if (flag == "--agent") return &agent;
    if (flag == "--state") return &state;
    if (flag == "--batch") return &batch;
    return nullptr;
  }
};

/// Uploads the chunks (pinecone_upload.h) and prints the summary; the exit status.
int upload_chunks(const std::vector<salient::knowledge_chunk>& chunks, const salient::cli::pinecone_settings& settings,
                  const std::string& state_path) {
  const auto started = std::chrono::steady_clock::now();
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  std::unique_ptr<salient::cli::http_client> http = salient::cli::make_curl_client(std::chrono::seconds(60));
  salient::cli::upload_io io;
  io.http = http.get();
  io.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  bool bar_open = false;
  io.progress = [&](std::size_t done, std::size_t total) {
    show_progress(tty, done, total);
    bar_open = tty && done != total;
  };
  io.note = [&](const std::string& message) {
    if (bar_open) std::cerr << "\n";
    bar_open = false;
    std::cerr << "pinecone: " << message << "\n";
  };
  auto records = salient::cli::pinecone_records(chunks, settings.text_field);
  if (records.size() != chunks.size()) {
    std::cerr << "salient: error: cannot initialise libsodium\n";
    return 1;
  }
  auto report = salient::cli::upload_to_pinecone(records, settings, state_path, io);
  if (bar_open) std::cerr << "\n";
  if (!report) {
    std::cerr << "salient: error: " << report.err().message << "\n";
    std::error_code ec;
    if (fs::exists(state_path, ec)) {
      std::cerr << "salient: the batches uploaded before are recorded in " << state_path << "; run again to resume\n";
    }
    return 1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.1f s", seconds);
  std::cerr << "pinecone: uploaded " << report->uploaded << ", unchanged " << report->unchanged << ", deleted "
            << report->deleted << " in namespace " << report->name_space << " of index " << report->index_host << " ("
            << elapsed << ")\n";
  return 0;
}

/// `salient ingest`: knowledge/ → chunks (ingest.h) → the BM25 index (salient/knowledge/knowledge.h),
/// and with --pinecone → a Pinecone index (pinecone_upload.h). Every file is read before
/// anything is written; any error leaves the outputs alone. The Pinecone settings (config and
/// keys) are checked before anything is read, the upload runs after the local index is written.
int ingest_command(const std::vector<std::string>& args) {
  std::optional<std::string> input, output, json_output;
  pinecone_options pc;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << usage_text;
      return 0;
    }
    if (a == "-o" || a == "--output" || a == "--json") {
      if (i + 1 == args.size()) return usage_error(a + " needs a file name");
      std::optional<std::string>& target = a == "--json" ? json_output : output;
      if (target) return usage_error("more than one " + a + " file");
      target = args[++i];
    } else if (std::optional<std::string>* target = pc.value_of(a)) {
      if (i + 1 == args.size()) return usage_error(a + " needs a value");
      if (*target) return usage_error(a + " given twice");
      *target = args[++i];
    } else if (a == "--pinecone") {
      pc.enabled = true;
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("unknown option " + a);
    } else if (input) {
      return usage_error("more than one knowledge directory");
    } else {
      input = a;
    }
  }
  const std::string root = input.value_or("knowledge");
  const std::string out = output.value_or("build/knowledge.bin");

  std::optional<salient::cli::pinecone_settings> pinecone;
  if (!pc.enabled) {
    for (const char* flag : {"--config", "--agent", "--state", "--batch"}) {
      if (*pc.value_of(flag)) return usage_error(std::string(flag) + " needs --pinecone");
    }
  } else {
    std::size_t batch = 96;
    if (pc.batch) {
      const std::string& b = *pc.batch;
      auto is_digit = [](unsigned char c) { return std::isdigit(c) != 0; };
      batch = !b.empty() && b.size() <= 3 && std::all_of(b.begin(), b.end(), is_digit) ? std::stoul(b) : 0;
      if (batch < 1 || batch > 96) return usage_error("--batch must be a number from 1 to 96, got " + b);
    }
    std::optional<salient::config> c = load_config(pc.config.value_or("salient.yaml"));
    if (!c) return 1;
    auto settings = salient::cli::pinecone_settings_from(*c, env_or_empty, pc.agent.value_or(""));
    if (!settings) {
      std::cerr << "salient: error: " << settings.err().message << "\n";
      return 1;
    }
    if (pc.agent && !c->vector.pinecone_namespace_per_agent) {
      std::cerr << "salient: warning: --agent is ignored: vector.pinecone.namespace_per_agent is false\n";
    }
    settings->batch = batch;
    pinecone = std::move(*settings);
  }

  auto files = salient::cli::list_knowledge_files(root);
  if (!files) {
    std::cerr << root << ": error: " << files.err().message << "\n";
    return 1;
  }
  const bool progress = ::isatty(STDERR_FILENO) == 1;
  std::vector<salient::knowledge_chunk> chunks;
  std::size_t documents = 0, text_bytes = 0;
  bool failed = false;
  for (const salient::cli::knowledge_file& f : *files) {
    const std::string name = (fs::path(root) / f.source).generic_string();
    std::optional<std::string> bytes = read_file(f.path.string());
    if (!bytes) {
      std::cerr << name << ": error: cannot read: " << std::strerror(errno) << "\n";
      failed = true;
      continue;
    }
    auto doc = salient::cli::extract_document(*bytes, f.format, f.source);
    if (!doc) {
      std::cerr << name << ": error: " << doc.err().message << "\n";
      failed = true;
      continue;
    }
    std::vector<salient::knowledge_chunk> mine = salient::cli::chunk_document(*doc);
    if (mine.empty()) {
      std::cerr << name << ": warning: " << (bytes->empty() ? "empty file" : "no text") << ", skipped\n";
      continue;
    }
    ++documents;
    for (salient::knowledge_chunk& c : mine) {
      text_bytes += c.text.size();
      chunks.push_back(std::move(c));
    }
    if (progress) std::cerr << "ingest: " << f.source << ": " << mine.size() << (mine.size() == 1 ? " chunk\n" : " chunks\n");
  }
  if (failed) return 1;
  if (documents == 0) std::cerr << root << ": warning: no .md, .markdown, .html, .htm or .txt files with text\n";

  std::string index = salient::build_knowledge_index(chunks);
  write_outcome wrote = write_file_if_changed(out, index);
  if (wrote == write_outcome::failed) return 1;
  if (json_output && write_file_if_changed(*json_output, chunks_json(chunks)) == write_outcome::failed) return 1;
  std::cerr << "ingest: " << documents << (documents == 1 ? " document, " : " documents, ") << chunks.size()
            << (chunks.size() == 1 ? " chunk, " : " chunks, ") << human_size(text_bytes) << " text \xE2\x86\x92 " << out << " ("
            << human_size(index.size()) << (wrote == write_outcome::unchanged ? ", unchanged)" : ")")
            << (json_output ? ", chunks \xE2\x86\x92 " + *json_output : std::string()) << "\n";
  if (pinecone) return upload_chunks(chunks, *pinecone, pc.state.value_or("build/pinecone-ingest.json"));
  return 0;
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
  if (args[0] == "ingest") return ingest_command({args.begin() + 1, args.end()});
  return usage_error("unknown command: " + args[0]);
}
