#pragma once
// What the functions (retrieval, shared/upstream/pinecone/pinecone_search.h) and `salient ingest
// --pinecone` (cli/pinecone_upload.h) must agree on about a Pinecone index: where it is by
// default, which API version they speak, and which namespace holds a tenant's (and agent's)
// passages. Records (shared/upstream/pinecone/pinecone_upsert.h): id "<source>#<n>", metadata
// {<vector.pinecone.text_field>, title, heading, url, source} (docs/KNOWLEDGE.md).
#include <string>
#include <string_view>

namespace salient {

inline constexpr std::string_view default_pinecone_api_url = "https://api.pinecone.io";
inline constexpr std::string_view default_openai_base_url = "https://api.openai.com/v1";
inline constexpr std::string_view pinecone_api_version = "2025-10";

/// "tenant", or "tenant:agent" with vector.pinecone.namespace_per_agent. ':' is in no tenant or
/// agent code, so no two tenants (or agents) ever share a namespace.
inline std::string pinecone_namespace(std::string_view tenant, std::string_view agent, bool per_agent) {
  std::string ns(tenant);
  if (per_agent) (ns += ':') += agent;
  return ns;
}

}  // namespace salient
