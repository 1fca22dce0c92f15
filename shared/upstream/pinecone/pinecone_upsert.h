#pragma once
// Writing passages into a Pinecone index, sans-IO: what `salient ingest --pinecone` sends
// (cli/pinecone_upload.h runs these over libcurl). Wire formats: docs/UPSTREAMS.md.
//
//   chunks ──pinecone_records──▶ records {id, text, fields}
//   records ──embed (embeddings.h)──▶ vectors ──POST {host}/vectors/upsert──▶ {upsertedCount}
//   records ──POST {host}/records/namespaces/{ns}/upsert (NDJSON)──▶ 201     (integrated index)
//   ids ──POST {host}/vectors/delete──▶ {}                                   (either kind)
//
// The records are the contract with retrieval (pinecone_search.h's passage_from_fields reads
// them back): id "<source>#<n>", metadata {<text_field>, title, heading, url, source}.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "salient/core/exchange.h"
#include "salient/core/http.h"
#include "salient/core/result.h"
#include "salient/knowledge/knowledge.h"

#include "upstream/pinecone/pinecone_endpoint.h"

namespace salient {

/// Texts per /embed call and records per integrated upsert: Pinecone takes at most 96.
inline constexpr std::size_t pinecone_max_batch = 96;
/// Ids per /vectors/delete call.
inline constexpr std::size_t pinecone_max_delete_ids = 1000;
/// An upsert body's limit: Pinecone's 2 MB (read as 10^6 bytes), less room for the envelope.
inline constexpr std::size_t pinecone_max_upsert_bytes = 2000000 - 4096;

struct pinecone_record {
  std::string id;      ///< "<source>#<n>", n counting the source's chunks from 0
  std::string text;    ///< what is embedded
  std::string fields;  ///< the metadata object as JSON: {<text_field>, title, heading, url, source}
};

/// The records of `chunks`, in order (a source's chunks must be consecutive, as ingest makes
/// them). Pinecone refuses null metadata; empty strings are left out too (retrieval reads absent
/// and empty alike). `fields` is nlohmann's compact dump, keys sorted: the same chunk always
/// gives the same bytes, which the CLI's state file hashes.
std::vector<pinecone_record> pinecone_records(const std::vector<knowledge_chunk>& chunks, std::string_view text_field);

/// One upsert call and how many records it carries.
struct pinecone_upsert {
  outbound_request request;
  std::size_t count = 0;
};

/// POST {host}/vectors/upsert `{"vectors":[{"id","values","metadata"}…],"namespace"}`, with
/// vectors[i] the values of records[i]; split into bodies of at most pinecone_max_upsert_bytes
/// (a record larger than that alone goes alone, for Pinecone to refuse with its own message).
std::vector<pinecone_upsert> upsert_vectors_requests(const pinecone_endpoint& ep, std::string_view host,
                                                     std::span<const pinecone_record> records,
                                                     const std::vector<std::vector<double>>& vectors);
/// The upsert's answer `{"upsertedCount":n}`: an error (upstream) unless n is `sent`.
result<void> parse_upserted_count(const fetch_result& r, std::size_t sent);

/// POST {host}/records/namespaces/{ns}/upsert, application/x-ndjson, a line `{"_id", <fields>}`
/// per record (the index embeds its text field itself), split like upsert_vectors_requests.
/// Any 2xx is success: Pinecone answers 201 with no body.
std::vector<pinecone_upsert> upsert_records_requests(const pinecone_endpoint& ep, std::string_view host,
                                                     std::span<const pinecone_record> records);

/// POST {host}/vectors/delete `{"ids":[…],"namespace"}` (at most pinecone_max_delete_ids ids;
/// for integrated indexes too). Any 2xx is success.
outbound_request delete_vectors_request(const pinecone_endpoint& ep, std::string_view host, std::span<const std::string> ids);

}  // namespace salient
