#include "upstream/pinecone/embeddings.h"

#include <cmath>

#include "core/json.h"

namespace salient {
namespace {

using detail::json;

bool pinecone_embeds(const pinecone_endpoint& ep) { return ep.embed_provider == "pinecone"; }

/// One builder for both calls: `input` is a string (a question) or a list (passages) for
/// OpenAI; Pinecone always takes a list of {text}.
outbound_request embed_request(const pinecone_endpoint& ep, std::string_view input_type, json openai_input,
                               const std::vector<std::string_view>& texts) {
  outbound_request out;
  out.method = "POST";
  out.url = ep.embed_url;
  out.timeout_ms = ep.timeout_ms;
  if (pinecone_embeds(ep)) {
    out.headers = pinecone_headers(ep);
    json params{{"input_type", input_type}, {"truncate", "END"}};
    if (ep.dimensions > 0) params["dimension"] = ep.dimensions;
    json inputs = json::array();
    for (std::string_view t : texts) inputs.push_back(json{{"text", t}});
    out.body = detail::dump(json{{"model", ep.embed_model}, {"parameters", std::move(params)}, {"inputs", std::move(inputs)}});
  } else {
    out.headers = {{"authorization", "Bearer " + ep.embed_key}, {"content-type", "application/json"}};
    json body{{"model", ep.embed_model}, {"input", std::move(openai_input)}, {"encoding_format", "float"}};
    if (ep.dimensions > 0) body["dimensions"] = ep.dimensions;
    out.body = detail::dump(body);
  }
  return out;
}

/// The numbers of a vector; nullopt unless it is a non-empty list of finite numbers.
template <class T>
std::optional<std::vector<T>> numbers_of(const json* values) {
  if (!values || !values->is_array() || values->empty()) return std::nullopt;
  std::vector<T> out;
  out.reserve(values->size());
  for (const json& v : *values) {
    if (!v.is_number()) return std::nullopt;
    double d = v.get<double>();
    if (!std::isfinite(d)) return std::nullopt;
    out.push_back(static_cast<T>(d));
  }
  return out;
}

}  // namespace

outbound_request embed_query_request(const pinecone_endpoint& ep, std::string_view question) {
  return embed_request(ep, "query", json(question), {question});
}

result<std::vector<float>> parse_query_embedding(const pinecone_endpoint& ep, const fetch_result& r) {
  auto doc = detail::parse_json(r.body);
  const json* data = doc ? detail::member(*doc, "data") : nullptr;
  const json* first = data && data->is_array() && !data->empty() ? &(*data)[0] : nullptr;
  const json* values = first && first->is_object() ? detail::member(*first, pinecone_embeds(ep) ? "values" : "embedding")
                                                   : nullptr;
  if (!values || !values->is_array() || values->empty())
    return make_error(errc::upstream, "the embeddings answer has no vector");
  auto out = numbers_of<float>(values);
  if (!out) return make_error(errc::upstream, "the embeddings answer has a vector that is not numbers");
  if (ep.dimensions > 0 && out->size() != static_cast<std::size_t>(ep.dimensions))
    return make_error(errc::upstream, "the embeddings answer has " + std::to_string(out->size()) +
                                          " dimensions, not embeddings.dimensions " + std::to_string(ep.dimensions));
  return std::move(*out);
}

outbound_request embed_passages_request(const pinecone_endpoint& ep, const std::vector<std::string>& texts) {
  std::vector<std::string_view> views(texts.begin(), texts.end());
  return embed_request(ep, "passage", json(texts), views);
}

result<std::vector<std::vector<double>>> parse_passage_embeddings(const pinecone_endpoint& ep, const fetch_result& r,
                                                                  std::size_t texts) {
  auto doc = detail::parse_json(r.body);
  const json* data = doc ? detail::member(*doc, "data") : nullptr;
  if (!data || !data->is_array()) return make_error(errc::upstream, "the answer has no data list");
  const bool openai = !pinecone_embeds(ep);
  // OpenAI numbers each embedding with `index`; Pinecone's /embed answers in the inputs' order.
  std::vector<const json*> slots(data->size(), nullptr);
  std::vector<bool> placed(data->size(), false);
  for (std::size_t i = 0; i < data->size(); ++i) {
    const json& d = (*data)[i];
    std::size_t at = i;
    if (const json* index = openai ? detail::member(d, "index") : nullptr) {
      if (!index->is_number_unsigned() || index->get<std::size_t>() >= slots.size() || placed[index->get<std::size_t>()])
        return make_error(errc::upstream, "a bad or repeated index in the answer");
      at = index->get<std::size_t>();
    }
    placed[at] = true;
    slots[at] = detail::member(d, openai ? "embedding" : "values");
  }
  if (slots.size() != texts)
    return make_error(errc::upstream, std::to_string(slots.size()) + " vectors for " + std::to_string(texts) + " inputs");
  std::vector<std::vector<double>> out;
  out.reserve(slots.size());
  for (std::size_t i = 0; i < slots.size(); ++i) {
    auto v = numbers_of<double>(slots[i]);
    if (!v) return make_error(errc::upstream, "vector " + std::to_string(i) + " is not a non-empty list of numbers");
    if (!out.empty() && v->size() != out[0].size())
      return make_error(errc::upstream, "vectors of different lengths (" + std::to_string(out[0].size()) + " and " +
                                            std::to_string(v->size()) + ")");
    out.push_back(std::move(*v));
  }
  if (ep.dimensions > 0 && !out.empty() && out[0].size() != static_cast<std::size_t>(ep.dimensions))
    return make_error(errc::upstream, "vectors of " + std::to_string(out[0].size()) + " dimensions, embeddings.dimensions is " +
                                          std::to_string(ep.dimensions));
  return out;
}

}  // namespace salient
