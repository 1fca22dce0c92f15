#pragma once
// `salient ingest --pinecone`'s part of the command line: its flags, the settings they and the
// configuration give (checked before any knowledge file is read), and the upload with its
// progress on stderr, after the local index is written (pinecone_upload.h does the work).
#include <optional>
#include <string>
#include <vector>

#include "pinecone_upload.h"
#include "salient/knowledge/knowledge.h"

namespace salient::cli {

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

/// The upload's settings, from the flags, the configuration (default salient.yaml) and the
/// environment; nullopt when the flags were not given (no --pinecone), or after printing what is
/// wrong with `exit_status` set: 2 for bad usage, 1 for the configuration or a missing key.
std::optional<pinecone_settings> pinecone_settings_for(pinecone_options& options, int& exit_status);

/// Uploads the chunks (pinecone_upload.h), showing progress, and prints the summary; the exit
/// status.
int upload_chunks(const std::vector<knowledge_chunk>& chunks, const pinecone_settings& settings,
                  const std::string& state_path);

}  // namespace salient::cli
