#include "flows/pinecone_retrieval.h"

#include <algorithm>

#include "core/json.h"
#include "salient/upstream/openrouter/llm_client.h"

namespace salient {
namespace {

using detail::json;

/// The longest backoff before the one retry: the visitor is waiting for the answer.
constexpr int max_retry_delay_ms = 1000;

/// `first`, or — when it failed in a way that trying again may fix — the answer to `again`,
/// sent after a short backoff (Retry-After when the upstream asked, capped).
task<fetch_result> once_more_if_worth_it(function_context ctx, fetch_result first, outbound_request again) {
  auto trouble = trouble_of(first);
  if (!trouble || !trouble->retryable || ctx.ex.cancelled()) co_return first;
  again.delay_ms = retry_delay_ms(1, trouble->retry_after_ms, ctx.rng, max_retry_delay_ms);
  ctx.ex.log(log_level::info, "retrieval.retry", {{"reason", trouble->reason}});
  co_return co_await ctx.ex.fetch(std::move(again));
}

stored_retrieval unavailable(std::string reason) {
  stored_retrieval r;
  r.what = stored_retrieval::kind::unavailable;
  r.reason = std::move(reason);
  return r;
}

/// Why a call failed, for the log and the stored turn. The upstream's own message is part of it,
/// and some echo the key they were sent (in part or whole): any of ours is cut out.
std::string reason_of(std::string_view step, const fetch_result& r, const pinecone_endpoint& ep) {
  auto trouble = trouble_of(r);
  std::string reason = std::string(step) + ": " + (trouble ? trouble->reason : "unreadable answer");
  for (const std::string& key : {ep.key, ep.embed_key}) {
    if (key.size() < 8) continue;
    for (std::size_t at; (at = reason.find(key)) != std::string::npos;) reason.replace(at, key.size(), "[key]");
  }
  return reason;
}

}  // namespace

std::string stored_retrieval_json(const stored_retrieval& r) {
  switch (r.what) {
    case stored_retrieval::kind::none: return "{}";
    case stored_retrieval::kind::unavailable:
      return detail::dump(json{{"mode", "unavailable"}, {"reason", r.reason}});
    case stored_retrieval::kind::pinecone: break;
  }
  json sources = json::array();
  for (const source& s : r.sources)
    sources.push_back({{"title", s.title}, {"heading", s.heading}, {"url", s.url}, {"source", s.path},
                       {"text", s.text}, {"score", s.score}});
  return detail::dump(json{{"mode", "pinecone"}, {"sources", std::move(sources)}});
}

stored_retrieval parse_stored_retrieval(const json& doc) {
  stored_retrieval out;
  std::string_view mode = detail::string_member(doc, "mode").value_or("");
  if (mode == "unavailable") return unavailable(std::string(detail::string_member(doc, "reason").value_or("")));
  if (mode != "pinecone") return out;
  out.what = stored_retrieval::kind::pinecone;
  if (const json* list = detail::member(doc, "sources"); list && list->is_array()) {
    for (const json& j : *list) {
      source s = passage_from_fields(j, "text");
      if (s.text.empty()) continue;
      s.score = static_cast<float>(detail::number_member(j, "score").value_or(0));
      s.n = s.rank = static_cast<int>(out.sources.size() + 1);
      out.sources.push_back(std::move(s));
    }
  }
  return out;
}

pinecone_started start_pinecone(function_context& ctx, const pinecone_endpoint& ep, std::string_view question) {
  pinecone_started started;
  if (ep.host.empty() && !ctx.memory.index_hosts.contains(ep.index_name))
    started.describe = ctx.ex.begin_fetch(describe_index_request(ep));
  if (!ep.integrated) started.embed = ctx.ex.begin_fetch(embed_query_request(ep, question));
  return started;
}

task<stored_retrieval> finish_pinecone(function_context ctx, pinecone_endpoint ep, std::string question,
                                       pinecone_started started) {
  std::string host = ep.host;
  if (host.empty()) {
    if (auto it = ctx.memory.index_hosts.find(ep.index_name); it != ctx.memory.index_hosts.end()) host = it->second;
  }
  if (host.empty()) {
    fetch_result r = started.describe ? co_await *started.describe : co_await ctx.ex.fetch(describe_index_request(ep));
    r = co_await once_more_if_worth_it(ctx, std::move(r), describe_index_request(ep));
    if (trouble_of(r)) co_return unavailable(reason_of("index lookup", r, ep));
    auto found = parse_index_host(r);
    if (!found) co_return unavailable("index lookup: " + found.err().message);
    host = *found;
    ctx.memory.index_hosts[ep.index_name] = host;
  }

  outbound_request query;
  if (ep.integrated) {
    query = search_request(ep, host, question);
  } else {
    fetch_result r = co_await *started.embed;
    r = co_await once_more_if_worth_it(ctx, std::move(r), embed_query_request(ep, question));
    if (trouble_of(r)) co_return unavailable(reason_of("embeddings", r, ep));
    auto vector = parse_query_embedding(ep, r);
    if (!vector) co_return unavailable("embeddings: " + vector.err().message);
    query = query_request(ep, host, *vector);
  }
  outbound_request again = query;
  fetch_result r = co_await once_more_if_worth_it(ctx, co_await ctx.ex.fetch(std::move(query)), std::move(again));
  if (trouble_of(r)) co_return unavailable(reason_of("query", r, ep));
  auto passages = parse_passages(ep, r);
  if (!passages) co_return unavailable("query: " + passages.err().message);
  stored_retrieval out;
  out.what = stored_retrieval::kind::pinecone;
  out.sources = std::move(*passages);
  co_return out;
}

}  // namespace salient
