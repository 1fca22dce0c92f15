#pragma once
// `salient ingest --pinecone`: the knowledge chunks (ingest.h) → a Pinecone index, batched,
// resumable and incremental. Call order:
//
//   pinecone_settings_from(config, env, agent) → settings   keys, namespace, endpoints (no I/O)
//   pinecone_records(chunks, text_field)       → records    (the core: pinecone_upsert.h)
//   upload_to_pinecone(records, settings, state_path, io) → report
//
// Theory of operation. Every request is built, and every answer read, by the core's sans-IO
// Pinecone and embeddings code (shared/upstream/pinecone/); `io.perform` sends it (libcurl in
// the CLI: curl_executor.h) and fetch_with_retries retries it (retrying_fetch.h), so the
// batching, retry and state logic runs without a network. upload_to_pinecone:
//   1. resolves the index host: the configured one, else GET {api_url}/indexes/{name} → `host`
//      (a host without a scheme gets "https://");
//   2. reads the state file (upload_state.h; absent or unreadable = empty). When the index host,
//      namespace, provider, model or dimensions recorded there differ from now, it starts over:
//      everything is uploaded, nothing deleted, and report.started_over says so;
//   3. uploads the records whose hash differs from the state's, in batches of settings.batch
//      (≤ 96): embed (OpenAI /embeddings or Pinecone /embed) + POST /vectors/upsert, or, for an
//      integrated index, POST /records/namespaces/{ns}/upsert (NDJSON); an upsert body over 2 MB
//      is split. After each batch the state file is rewritten;
//   4. deletes the ids the state knows that no longer exist (POST /vectors/delete, ≤ 1000 ids a
//      call), again saving the state after each call.
// Any failure ends the run with an error naming the call, the status and the upstream's
// message; what was saved stays saved, so a rerun resumes. API keys go in headers only: no
// message ever contains one.
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "salient/config/config.h"
#include "salient/core/result.h"

#include "retrying_fetch.h"
#include "upstream/pinecone/pinecone_endpoint.h"
#include "upstream/pinecone/pinecone_upsert.h"

namespace salient::cli {

struct pinecone_settings {
  pinecone_endpoint endpoint;  ///< keys, URLs, namespace, embeddings, the per-request timeout
  std::size_t batch = pinecone_max_batch;  ///< chunks per embeddings call / upsert, 1 … 96

  /// What the state file records: "openai" | "pinecone", or "integrated" (the index embeds the
  /// text itself: no model, no dimensions of ours).
  std::string provider() const { return endpoint.integrated ? "integrated" : endpoint.embed_provider; }
  std::string model() const { return endpoint.integrated ? std::string() : endpoint.embed_model; }
  int dimensions() const { return endpoint.integrated ? 0 : endpoint.dimensions; }
};

/// How long one request may take: a batch of 96 passages is slower than a visitor's question.
inline constexpr int upload_timeout_ms = 60000;

/// Settings from the configuration and the environment (`env(name)` returns "" when unset), by
/// the core's pinecone_endpoint_from. Unlike retrieval, which falls back to the local index,
/// the upload needs PINECONE_API_KEY, an index name or host, and OPENAI_API_KEY for openai
/// embeddings. `agent` (from --agent) is used when namespace_per_agent; empty =
/// app.default_agent. Errors (misconfigured) name the missing variable or key.
result<pinecone_settings> pinecone_settings_from(const config& c, const std::function<std::string(const char*)>& env,
                                                 const std::string& agent);

struct upload_io : fetch_io {
  std::function<void(std::size_t done, std::size_t total)> progress;  ///< (0, total) first, then after each
                                                                      ///< batch (may be empty)
};

struct upload_report {
  std::size_t uploaded = 0;
  std::size_t unchanged = 0;
  std::size_t deleted = 0;
  std::string index_host;
  std::string name_space;
  bool started_over = false;  ///< the state was for another index/namespace/model/dimensions
};

/// Uploads `records` (see the top of this file); needs hashing_ready(). Errors: upstream (an
/// answer that is not retried, retries exhausted, or an answer that does not fit; message
/// "<call>: HTTP <status>: <upstream message>" or "<call>: <what does not fit>"), unavailable
/// (transport), internal (state not writable).
result<upload_report> upload_to_pinecone(const std::vector<pinecone_record>& records, const pinecone_settings& settings,
                                         const std::string& state_path, upload_io& io);

}  // namespace salient::cli
