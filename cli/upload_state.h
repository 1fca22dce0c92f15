#pragma once
// What `salient ingest --pinecone` remembers between runs (the state file, default
// build/pinecone-ingest.json), and the plan it makes from it: which records to upload, which
// are unchanged, which ids to delete.
//
// The file: {"version":1, "index_host", "namespace", "provider", "model", "dimensions",
// "records": {id: hash}}, the hash being BLAKE2b (libsodium's crypto_generichash, hex) of the
// record as sent, values left out. It is written to a temporary file renamed over the old one,
// so a run stopped at any point leaves either the old state or the new, never half of one.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "salient/core/result.h"

#include "upstream/pinecone/pinecone_upsert.h"

namespace salient::cli {

struct upload_state {
  std::string index_host, name_space, provider, model;
  int dimensions = 0;
  std::map<std::string, std::string> records;  ///< id → hash

  /// Same index, namespace, provider, model and dimensions: the records can be trusted.
  bool same_target(const upload_state& other) const {
    return index_host == other.index_host && name_space == other.name_space && provider == other.provider &&
           model == other.model && dimensions == other.dimensions;
  }
};

/// The state file, or nullopt when it is absent or not a state file of this version.
std::optional<upload_state> load_state(const std::string& path);
/// Writes the state (temporary file + rename). Errors (internal) name the file.
result<void> save_state(const std::string& path, const upload_state& state);

/// False when libsodium cannot start (it cannot on a supported system; hashing needs it).
bool hashing_ready();
/// The hex BLAKE2b of the record as sent: its id and its fields.
std::string record_hash(const pinecone_record& record);

struct upload_plan {
  std::vector<pinecone_record> todo;  ///< new or changed, in the records' order
  std::vector<std::string> todo_hashes;  ///< their hashes, for the state once they are uploaded
  std::vector<std::string> gone;      ///< ids the state holds that the records no longer do, sorted
  std::size_t unchanged = 0;
};

/// `records` against what `state` says was uploaded: a record whose hash differs is uploaded
/// again. Needs hashing_ready().
upload_plan plan_upload(const std::vector<pinecone_record>& records, const upload_state& state);

}  // namespace salient::cli
