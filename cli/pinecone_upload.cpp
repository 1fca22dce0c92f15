// `salient ingest --pinecone` (pinecone_upload.h): the settings, and the plan and batch loop
// over the core's request builders and parsers.
#include "pinecone_upload.h"

#include <algorithm>
#include <optional>
#include <span>

#include "salient/core/environment.h"
#include "upload_state.h"
#include "upstream/pinecone/embeddings.h"

namespace salient::cli {
namespace {

error misconfigured(std::string message) { return make_error(errc::misconfigured, std::move(message)); }

result<std::string> resolve_host(const pinecone_endpoint& ep, upload_io& io) {
  if (!ep.host.empty()) return ep.host;
  const std::string what = "Pinecone describe index " + ep.index_name;
  auto r = fetch_with_retries(io, describe_index_request(ep), what);
  if (!r) return r.err();
  auto host = parse_index_host(*r);
  if (!host) return make_error(host.err().kind, what + ": " + host.err().message);
  return host;
}

/// The batch's vectors: one embeddings call, its answer checked against the batch.
result<std::vector<std::vector<double>>> embed(const pinecone_endpoint& ep, upload_io& io,
                                               std::span<const pinecone_record> batch) {
  std::vector<std::string> texts;
  texts.reserve(batch.size());
  for (const pinecone_record& r : batch) texts.push_back(r.text);
  const std::string what = ep.embed_provider == "pinecone" ? "Pinecone embed" : "OpenAI embeddings";
  auto r = fetch_with_retries(io, embed_passages_request(ep, texts), what);
  if (!r) return r.err();
  auto vectors = parse_passage_embeddings(ep, *r, texts.size());
  if (!vectors) return make_error(vectors.err().kind, what + ": " + vectors.err().message);
  return vectors;
}

/// Embeds and upserts one batch (or upserts its records, for an integrated index). `dimension`
/// is the length of this run's first vectors: every later batch must match it.
result<void> upload_batch(const pinecone_endpoint& ep, upload_io& io, const std::string& host,
                          std::span<const pinecone_record> batch, std::size_t& dimension) {
  if (ep.integrated) {
    for (const pinecone_upsert& u : upsert_records_requests(ep, host, batch)) {
      if (auto r = fetch_with_retries(io, u.request, "Pinecone records upsert"); !r) return r.err();
    }
    return {};
  }
  auto vectors = embed(ep, io, batch);
  if (!vectors) return vectors.err();
  const std::size_t length = vectors->empty() ? 0 : (*vectors)[0].size();
  if (dimension == 0) dimension = length;
  if (length != dimension) {
    return make_error(errc::upstream, "embeddings changed length mid-run: " + std::to_string(dimension) + " then " +
                                          std::to_string(length));
  }
  const std::string what = "Pinecone upsert";
  for (const pinecone_upsert& u : upsert_vectors_requests(ep, host, batch, *vectors)) {
    auto r = fetch_with_retries(io, u.request, what);
    if (!r) return r.err();
    if (auto counted = parse_upserted_count(*r, u.count); !counted) return make_error(counted.err().kind, what + ": " + counted.err().message);
  }
  return {};
}

}  // namespace

result<pinecone_settings> pinecone_settings_from(const config& c, const std::function<std::string(const char*)>& env,
                                                 const std::string& agent) {
  environment vars;
  for (const char* name : {"PINECONE_API_KEY", "PINECONE_API_URL", "PINECONE_INDEX_HOST", "OPENAI_API_KEY", "OPENAI_BASE_URL"})
    vars.set(name, env(name));
  // What the core treats as "Pinecone not in use" is an error here, said in the upload's terms.
  if (vars.get("PINECONE_API_KEY").empty())
    return misconfigured("PINECONE_API_KEY is not set (the Pinecone API key, from the environment)");
  if (c.vector.pinecone_index_name.empty() && c.vector.pinecone_host.empty() && vars.get("PINECONE_INDEX_HOST").empty())
    return misconfigured("vector.pinecone.index_name is not set in the configuration (nor vector.pinecone.host, nor PINECONE_INDEX_HOST)");
  std::string code = agent.empty() ? c.app.default_agent : agent;
  if (c.vector.pinecone_namespace_per_agent &&
      std::none_of(c.agents.begin(), c.agents.end(), [&](const agent_config& a) { return a.code == code; }))
    return misconfigured("agent " + code + " is not in the configuration's agents");
  if (!c.vector.pinecone_integrated && c.embeddings.provider != "pinecone" && vars.get("OPENAI_API_KEY").empty())
    return misconfigured("OPENAI_API_KEY is not set (needed for embeddings.provider openai unless vector.pinecone.integrated)");

  auto ep = pinecone_endpoint_from(c, vars, c.app.tenant, code);
  if (!ep) return ep.err();
  if (!ep->has_value()) return make_error(errc::internal, "Pinecone is not configured");  // ruled out above
  pinecone_settings s;
  s.endpoint = std::move(**ep);
  if (s.endpoint.text_field.empty()) s.endpoint.text_field = "text";
  s.endpoint.timeout_ms = upload_timeout_ms;
  return s;
}

result<upload_report> upload_to_pinecone(const std::vector<pinecone_record>& records, const pinecone_settings& settings,
                                         const std::string& state_path, upload_io& io) {
  const pinecone_endpoint& ep = settings.endpoint;
  upload_report report;
  auto host = resolve_host(ep, io);
  if (!host) return host.err();
  report.index_host = *host;
  report.name_space = ep.ns;

  upload_state state{*host, ep.ns, settings.provider(), settings.model(), settings.dimensions(), {}};
  if (std::optional<upload_state> old = load_state(state_path)) {
    if (old->same_target(state)) {
      state.records = std::move(old->records);
    } else if (!old->records.empty()) {
      report.started_over = true;
      if (io.note) {
        io.note("the state in " + state_path + " is for index " + old->index_host + ", namespace " + old->name_space +
                ", " + old->provider + (old->model.empty() ? "" : " " + old->model) + ", dimensions " +
                std::to_string(old->dimensions) + "; starting over (uploading everything)");
      }
    }
  }
  upload_plan plan = plan_upload(records, state);
  report.unchanged = plan.unchanged;

  const std::size_t batch_size = std::clamp<std::size_t>(settings.batch, 1, pinecone_max_batch);
  const std::span<const pinecone_record> todo(plan.todo);
  if (io.progress && !todo.empty()) io.progress(0, todo.size());
  std::size_t dimension = 0;
  for (std::size_t start = 0; start < todo.size(); start += batch_size) {
    const std::size_t n = std::min(batch_size, todo.size() - start);
    if (auto r = upload_batch(ep, io, *host, todo.subspan(start, n), dimension); !r) return r.err();
    for (std::size_t i = start; i < start + n; ++i) state.records[plan.todo[i].id] = plan.todo_hashes[i];
    if (auto saved = save_state(state_path, state); !saved) return saved.err();
    report.uploaded += n;
    if (io.progress) io.progress(report.uploaded, todo.size());
  }

  const std::span<const std::string> gone(plan.gone);
  for (std::size_t start = 0; start < gone.size(); start += pinecone_max_delete_ids) {
    auto ids = gone.subspan(start, std::min(pinecone_max_delete_ids, gone.size() - start));
    if (auto r = fetch_with_retries(io, delete_vectors_request(ep, *host, ids), "Pinecone delete"); !r) return r.err();
    for (const std::string& id : ids) state.records.erase(id);
    if (auto saved = save_state(state_path, state); !saved) return saved.err();
    report.deleted += ids.size();
  }
  // A run with nothing to do still records the header (e.g. a first run on empty knowledge).
  if (todo.empty() && gone.empty()) {
    if (auto saved = save_state(state_path, state); !saved) return saved.err();
  }
  return report;
}

}  // namespace salient::cli
