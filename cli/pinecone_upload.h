#pragma once
// `salient ingest --pinecone`: the knowledge chunks (ingest.h) → a Pinecone index, batched,
// resumable and incremental. Call order:
//
//   pinecone_settings_from(config, env, agent) → settings   keys, namespace, endpoints (no I/O)
//   pinecone_records(chunks, text_field)       → records    ids "<source>#<n>" and metadata
//   upload_to_pinecone(records, settings, state_path, io) → report
//
// Theory of operation. Every HTTP exchange goes through `http_client` (libcurl in the CLI, a
// script in tests); sleeping and progress go through `upload_io`, so the batching, retry and
// state logic runs without a network. upload_to_pinecone:
//   1. resolves the index host: settings.index_host, else GET {api_url}/indexes/{name} → `host`
//      (a host without a scheme gets "https://");
//   2. reads the state file (absent or unreadable = empty). When the index host, namespace,
//      provider, model or dimensions recorded there differ from now, it starts over: everything
//      is uploaded, and report.started_over says so;
//   3. uploads the records whose hash (crypto_generichash of the record as sent, values left
//      out) differs from the state's, in batches of settings.batch (≤ 96): embed (OpenAI
//      /embeddings or Pinecone /embed) + POST /vectors/upsert, or, for an integrated index,
//      POST /records/namespaces/{ns}/upsert (NDJSON). An upsert body larger than 2 MB is split.
//      After each batch the state file is rewritten (temporary file + rename);
//   4. deletes the ids the state knows that no longer exist (POST /vectors/delete, ≤ 1000 ids a
//      call), again saving the state after each call.
// Each request is retried on 408, 429, 5xx and transport errors (timeouts, refused
// connections), at most `max_attempts` times in all, with exponential backoff that honours
// Retry-After, each sleep capped at `max_sleep`. Any other answer ends the run with an error
// naming the call, the status and the upstream's message; what was saved stays saved, so a
// rerun resumes. API keys go in headers only: no message ever contains one.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "salient/config/config.h"
#include "salient/knowledge/knowledge.h"
#include "salient/core/result.h"

namespace salient::cli {

// --- HTTP -------------------------------------------------------------------------------------

struct http_request {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct http_response {
  int status = 0;            ///< 0: no answer (transport error or timeout; see `error`)
  std::string body;
  std::string retry_after;   ///< the Retry-After header, if any
  std::string error;         ///< the transport error, when status is 0
};

/// Sends one request and waits for the whole answer. Implementations never throw.
class http_client {
 public:
  virtual ~http_client() = default;
  virtual http_response send(const http_request& request) = 0;
};

/// libcurl, with a per-request timeout (connect included).
std::unique_ptr<http_client> make_curl_client(std::chrono::milliseconds timeout);

// --- settings ---------------------------------------------------------------------------------

struct pinecone_settings {
  std::string api_key;            ///< PINECONE_API_KEY
  std::string api_url;            ///< PINECONE_API_URL (control plane, /embed), no trailing '/'
  std::string index_name;         ///< vector.pinecone.index_name (may be empty when a host is set)
  std::string index_host;         ///< PINECONE_INDEX_HOST or vector.pinecone.host; empty = look up
  std::string name_space;         ///< "tenant" or "tenant:agent"
  bool integrated = false;
  std::string text_field = "text";
  std::string provider;           ///< "openai" | "pinecone"; "integrated" for an integrated index
  std::string model;              ///< empty for an integrated index
  int dimensions = 0;             ///< 0 = the model's own
  std::string openai_key;         ///< OPENAI_API_KEY (provider openai only)
  std::string openai_url;         ///< OPENAI_BASE_URL, no trailing '/'
  std::size_t batch = 96;         ///< chunks per embeddings call / upsert, 1 … 96
};

/// Settings from the configuration and the environment (`env(name)` returns "" when unset).
/// `agent` (from --agent) is used when namespace_per_agent; empty = app.default_agent. Errors
/// (misconfigured) name the missing variable or key.
result<pinecone_settings> pinecone_settings_from(const config& c, const std::function<std::string(const char*)>& env,
                                                 const std::string& agent);

// --- records ----------------------------------------------------------------------------------

struct pinecone_record {
  std::string id;       ///< "<source>#<n>", n counting the source's chunks from 0
  std::string text;
  std::string fields;   ///< the metadata object as JSON: {<text_field>, title, heading, url,
                        ///< source}, empty strings left out
  std::string hash;     ///< hex crypto_generichash of id + fields
};

/// The records for `chunks` (in order; a source's chunks must be consecutive, as ingest makes them).
std::vector<pinecone_record> pinecone_records(const std::vector<knowledge_chunk>& chunks, const std::string& text_field);

// --- upload -----------------------------------------------------------------------------------

struct upload_io {
  http_client* http = nullptr;
  std::function<void(std::chrono::milliseconds)> sleep;           ///< between retries
  std::function<void(std::size_t done, std::size_t total)> progress;  ///< (0, total) first, then after each
                                                                      ///< batch (may be empty)
  std::function<void(const std::string&)> note;                    ///< retries, start-over notices (may be empty)
  int max_attempts = 5;
  std::chrono::milliseconds first_backoff{500};
  std::chrono::milliseconds max_sleep{30000};
};

struct upload_report {
  std::size_t uploaded = 0;
  std::size_t unchanged = 0;
  std::size_t deleted = 0;
  std::string index_host;
  std::string name_space;
  bool started_over = false;      ///< the state was for another index/namespace/model/dimensions
};

/// Uploads `records` (see the top of this file). Errors: upstream (an answer that is not
/// retried, or retries exhausted; message "<call>: HTTP <status>: <upstream message>"),
/// unavailable (transport), bad_request (a malformed answer), internal (state not writable).
result<upload_report> upload_to_pinecone(const std::vector<pinecone_record>& records, const pinecone_settings& settings,
                                         const std::string& state_path, upload_io& io);

/// "tenant:sales" → "tenant%3Asales" (RFC 3986: everything but unreserved characters).
std::string percent_encode(const std::string& text);

}  // namespace salient::cli
