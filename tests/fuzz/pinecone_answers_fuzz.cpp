// The readers of Pinecone's and the embeddings API's answers (pinecone_endpoint.h, embeddings.h,
// pinecone_search.h, pinecone_upsert.h), of the retrieval stored with a turn
// (pinecone_retrieval.h), and the sources list rendered from stored citations (sources_html.h), on
// arbitrary bytes. Each returns a value or a typed error; passages are numbered 1… in order; an
// upload's vectors are one per text, non-empty and of one length; what is stored reads back the
// same; the rendered list never carries a script or a javascript: link, whatever the stored JSON
// says.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "flows/pinecone_retrieval.h"
#include "upstream/pinecone/pinecone_search.h"
#include "upstream/pinecone/pinecone_upsert.h"
#include "flows/retrieval.h"
#include "render/sources_html.h"
#include "core/json.h"

namespace {

void check_passages(const std::vector<salient::source>& list, std::size_t top_k) {
  if (list.size() > top_k) std::abort();
  for (std::size_t i = 0; i < list.size(); ++i)
    if (list[i].n != static_cast<int>(i + 1) || list[i].rank != list[i].n || list[i].text.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  salient::pinecone_endpoint ep;
  ep.text_field = "text";
  ep.top_k = 4;
  salient::fetch_result r{std::nullopt, {200, {}}, body};

  if (auto host = salient::parse_index_host(r); host.ok() && !salient::is_http_url(*host)) std::abort();
  for (const char* provider : {"openai", "pinecone"}) {
    ep.embed_provider = provider;
    if (auto v = salient::parse_query_embedding(ep, r); v.ok() && v->empty()) std::abort();
    for (std::size_t texts : {std::size_t{1}, std::size_t{3}}) {
      auto vs = salient::parse_passage_embeddings(ep, r, texts);
      if (!vs.ok()) continue;
      if (vs->size() != texts) std::abort();
      for (const auto& v : *vs)
        if (v.empty() || v.size() != (*vs)[0].size()) std::abort();
    }
  }
  (void)salient::parse_upserted_count(r, 2);
  if (salient::upstream_error_message(body).empty()) std::abort();
  if (auto passages = salient::parse_passages(ep, r); passages.ok()) check_passages(*passages, 4);

  if (auto doc = salient::detail::parse_json(body)) {
    salient::stored_retrieval stored = salient::parse_stored_retrieval(*doc);
    if (stored.what == salient::stored_retrieval::kind::pinecone) {
      auto written = salient::detail::parse_json(salient::stored_retrieval_json(stored));
      if (!written) std::abort();
      salient::stored_retrieval again = salient::parse_stored_retrieval(*written);
      if (again.what != stored.what || again.sources.size() != stored.sources.size()) std::abort();
      for (std::size_t i = 0; i < stored.sources.size(); ++i)
        if (again.sources[i].text != stored.sources[i].text || again.sources[i].url != stored.sources[i].url) std::abort();
    }
    std::string html = salient::sources_list_html(*doc);
    if (html.find("<script") != std::string::npos || html.find("href=\"javascript:") != std::string::npos) std::abort();
  }
  return 0;
}
