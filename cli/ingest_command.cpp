// `salient ingest` (commands.h): knowledge/ → chunks (ingest.h) → the BM25 index
// (salient/knowledge/knowledge.h), and with --pinecone → a Pinecone index (pinecone_command.h).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "files.h"
#include "ingest.h"
#include "pinecone_command.h"
#include "salient/knowledge/knowledge.h"

namespace salient::cli {
namespace {

namespace fs = std::filesystem;

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

std::string chunks_json(const std::vector<knowledge_chunk>& chunks) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const knowledge_chunk& c = chunks[i];
    out.push_back({{"id", i}, {"source", c.source}, {"title", c.title}, {"heading", c.heading}, {"url", c.url}, {"text", c.text}});
  }
  return out.dump(2) + "\n";
}

}  // namespace

/// `salient ingest`: knowledge/ → chunks (ingest.h) → the BM25 index (salient/knowledge/knowledge.h),
/// and with --pinecone → a Pinecone index (pinecone_command.h). Every file is read before
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

  int exit_status = 0;
  std::optional<pinecone_settings> pinecone = pinecone_settings_for(pc, exit_status);
  if (exit_status != 0) return exit_status;

  auto files = list_knowledge_files(root);
  if (!files) {
    std::cerr << root << ": error: " << files.err().message << "\n";
    return 1;
  }
  const bool progress = ::isatty(STDERR_FILENO) == 1;
  std::vector<knowledge_chunk> chunks;
  std::size_t documents = 0, text_bytes = 0;
  bool failed = false;
  for (const knowledge_file& f : *files) {
    const std::string name = (fs::path(root) / f.source).generic_string();
    std::optional<std::string> bytes = read_file(f.path.string());
    if (!bytes) {
      std::cerr << name << ": error: cannot read: " << std::strerror(errno) << "\n";
      failed = true;
      continue;
    }
    auto doc = extract_document(*bytes, f.format, f.source);
    if (!doc) {
      std::cerr << name << ": error: " << doc.err().message << "\n";
      failed = true;
      continue;
    }
    std::vector<knowledge_chunk> mine = chunk_document(*doc);
    if (mine.empty()) {
      std::cerr << name << ": warning: " << (bytes->empty() ? "empty file" : "no text") << ", skipped\n";
      continue;
    }
    ++documents;
    for (knowledge_chunk& c : mine) {
      text_bytes += c.text.size();
      chunks.push_back(std::move(c));
    }
    if (progress) std::cerr << "ingest: " << f.source << ": " << mine.size() << (mine.size() == 1 ? " chunk\n" : " chunks\n");
  }
  if (failed) return 1;
  if (documents == 0) std::cerr << root << ": warning: no .md, .markdown, .html, .htm or .txt files with text\n";

  std::string index = build_knowledge_index(chunks);
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

}  // namespace salient::cli
