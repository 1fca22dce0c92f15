// `salient ingest --pinecone` on the command line (pinecone_command.h).
#include "pinecone_command.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include <unistd.h>

#include "commands.h"
#include "curl_executor.h"
#include "upload_state.h"

namespace salient::cli {
namespace {

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

}  // namespace

std::optional<pinecone_settings> pinecone_settings_for(pinecone_options& pc, int& exit_status) {
  exit_status = 0;
  if (!pc.enabled) {
    for (const char* flag : {"--config", "--agent", "--state", "--batch"}) {
      if (*pc.value_of(flag)) {
        exit_status = usage_error(std::string(flag) + " needs --pinecone");
        return std::nullopt;
      }
    }
    return std::nullopt;
  }
  std::size_t batch = pinecone_max_batch;
  if (pc.batch) {
    const std::string& b = *pc.batch;
    auto is_digit = [](unsigned char c) { return std::isdigit(c) != 0; };
    batch = !b.empty() && b.size() <= 3 && std::all_of(b.begin(), b.end(), is_digit) ? std::stoul(b) : 0;
    if (batch < 1 || batch > pinecone_max_batch) {
      exit_status = usage_error("--batch must be a number from 1 to 96, got " + b);
      return std::nullopt;
    }
  }
  exit_status = 1;
  std::optional<config> c = load_config(pc.config.value_or("salient.yaml"));
  if (!c) return std::nullopt;
  auto settings = pinecone_settings_from(*c, env_or_empty, pc.agent.value_or(""));
  if (!settings) {
    std::cerr << "salient: error: " << settings.err().message << "\n";
    return std::nullopt;
  }
  if (pc.agent && !c->vector.pinecone_namespace_per_agent) {
    std::cerr << "salient: warning: --agent is ignored: vector.pinecone.namespace_per_agent is false\n";
  }
  settings->batch = batch;
  exit_status = 0;
  return std::move(*settings);
}

int upload_chunks(const std::vector<knowledge_chunk>& chunks, const pinecone_settings& settings,
                  const std::string& state_path) {
  const auto started = std::chrono::steady_clock::now();
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  if (!hashing_ready()) {
    std::cerr << "salient: error: cannot initialise libsodium\n";
    return 1;
  }
  upload_io io;
  io.perform = curl_perform;
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
  auto report = upload_to_pinecone(pinecone_records(chunks, settings.endpoint.text_field), settings, state_path, io);
  if (bar_open) std::cerr << "\n";
  if (!report) {
    std::cerr << "salient: error: " << report.err().message << "\n";
    std::error_code ec;
    if (std::filesystem::exists(state_path, ec)) {
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

}  // namespace salient::cli
