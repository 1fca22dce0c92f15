#include "upstream/pinecone/pinecone_upsert.h"

#include <charconv>
#include <cmath>
#include <map>
#include <utility>

#include "core/json.h"
#include "salient/core/json_write.h"

namespace salient {
namespace {

using detail::json;

void append_double(std::string& out, double d) {
  if (!std::isfinite(d)) d = 0;  // JSON has no NaN; parse_passage_embeddings lets none through anyway
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);  // shortest form that reads back the same
  out.append(buf, ec == std::errc() ? end : buf);
}

/// Groups serialised items into runs whose lines (each item and one separator byte) stay within
/// pinecone_max_upsert_bytes; an item larger than that alone forms a run of its own.
std::vector<std::vector<std::string>> by_size(std::vector<std::string> items) {
  std::vector<std::vector<std::string>> groups;
  std::size_t bytes = 0;
  for (std::string& item : items) {
    if (groups.empty() || (bytes + item.size() + 1 > pinecone_max_upsert_bytes && !groups.back().empty())) {
      groups.emplace_back();
      bytes = 0;
    }
    bytes += item.size() + 1;
    groups.back().push_back(std::move(item));
  }
  return groups;
}

outbound_request pinecone_post(const pinecone_endpoint& ep, std::string url, std::string body) {
  outbound_request out;
  out.method = "POST";
  out.url = std::move(url);
  out.headers = pinecone_headers(ep);
  out.body = std::move(body);
  out.timeout_ms = ep.timeout_ms;
  return out;
}

}  // namespace

std::vector<pinecone_record> pinecone_records(const std::vector<knowledge_chunk>& chunks, std::string_view text_field) {
  std::vector<pinecone_record> out;
  out.reserve(chunks.size());
  std::map<std::string, std::size_t, std::less<>> count;
  for (const knowledge_chunk& c : chunks) {
    pinecone_record r;
    r.id = c.source + "#" + std::to_string(count[c.source]++);
    r.text = c.text;
    json fields = json::object();
    for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"title", &c.title},
                                     {"heading", &c.heading}, {"url", &c.url}, {"source", &c.source}}) {
      if (!value->empty()) fields[key] = *value;
    }
    // Last, so that a text_field named like another field still holds the text.
    fields[std::string(text_field)] = c.text;
    r.fields = detail::dump(fields);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<pinecone_upsert> upsert_vectors_requests(const pinecone_endpoint& ep, std::string_view host,
                                                     std::span<const pinecone_record> records,
                                                     const std::vector<std::vector<double>>& vectors) {
  std::vector<std::string> items;
  items.reserve(records.size());
  for (std::size_t i = 0; i < records.size() && i < vectors.size(); ++i) {
    // Written by hand: the metadata is JSON already, and a DOM would hold ~1,500 numbers per item.
    std::string item = "{\"id\":";
    append_json_string(item, records[i].id);
    item += ",\"values\":[";
    for (std::size_t k = 0; k < vectors[i].size(); ++k) {
      if (k) item += ',';
      append_double(item, vectors[i][k]);
    }
    item += "],\"metadata\":";
    item += records[i].fields;
    item += '}';
    items.push_back(std::move(item));
  }
  std::string ns_tail = "],\"namespace\":";
  append_json_string(ns_tail, ep.ns);
  ns_tail += '}';
  std::vector<pinecone_upsert> out;
  for (std::vector<std::string>& group : by_size(std::move(items))) {
    std::string body = "{\"vectors\":[";
    for (std::size_t i = 0; i < group.size(); ++i) (body += i ? "," : "") += group[i];
    body += ns_tail;
    out.push_back({pinecone_post(ep, std::string(host) + "/vectors/upsert", std::move(body)), group.size()});
  }
  return out;
}

result<void> parse_upserted_count(const fetch_result& r, std::size_t sent) {
  auto doc = detail::parse_json(r.body);
  const json* n = doc ? detail::member(*doc, "upsertedCount") : nullptr;
  if (n && n->is_number_unsigned() && n->get<std::size_t>() == sent) return {};
  return make_error(errc::upstream, "sent " + std::to_string(sent) + " vectors, the answer does not say that many were upserted: " +
                                        upstream_error_message(r.body));
}

std::vector<pinecone_upsert> upsert_records_requests(const pinecone_endpoint& ep, std::string_view host,
                                                     std::span<const pinecone_record> records) {
  std::vector<std::string> lines;
  lines.reserve(records.size());
  for (const pinecone_record& r : records) {
    // The id, then the members of the fields object (JSON text already: spliced, not parsed).
    std::string line = "{\"_id\":";
    append_json_string(line, r.id);
    std::string_view members = r.fields;
    if (members.size() > 2 && members.front() == '{') line += ',', members.remove_prefix(1);
    else members = "}";
    line += members;
    lines.push_back(std::move(line));
  }
  const std::string url = std::string(host) + "/records/namespaces/" + percent_encode(ep.ns) + "/upsert";
  std::vector<pinecone_upsert> out;
  for (std::vector<std::string>& group : by_size(std::move(lines))) {
    std::string body;
    for (const std::string& line : group) (body += line) += '\n';
    outbound_request rq = pinecone_post(ep, url, std::move(body));
    for (header& h : rq.headers)
      if (h.name == "content-type") h.value = "application/x-ndjson";
    out.push_back({std::move(rq), group.size()});
  }
  return out;
}

outbound_request delete_vectors_request(const pinecone_endpoint& ep, std::string_view host, std::span<const std::string> ids) {
  std::string body = "{\"ids\":[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) body += ',';
    append_json_string(body, ids[i]);
  }
  body += "],\"namespace\":";
  append_json_string(body, ep.ns);
  body += '}';
  return pinecone_post(ep, std::string(host) + "/vectors/delete", std::move(body));
}

}  // namespace salient
