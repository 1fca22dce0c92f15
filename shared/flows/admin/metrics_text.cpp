// GET /metrics' two renderings (metrics_text.h): the store's counters and the answering
// isolate's, as Prometheus text 0.0.4 or as JSON. Every value is read through checked accessors
// (core/json.h: the core is built without exceptions) and an entry that is not the documented
// shape is skipped, so an odd row never costs the scrape.
#include "flows/admin/metrics_text.h"

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

namespace salient {
namespace {

using detail::json;

constexpr std::size_t max_label_bytes = 200;  // longer label values are cut (at a character)

/// A label value as the store or host gave it: a non-empty string (cut to max_label_bytes), or
/// an integer (a status) written in decimal; nullopt for anything else.
std::optional<std::string> label_of(const json& obj, std::string_view key) {
  const json* m = detail::member(obj, key);
  if (!m) return std::nullopt;
  if (m->is_number_integer()) return std::to_string(m->get<std::int64_t>());
  if (!m->is_string()) return std::nullopt;
  std::string s = m->get<std::string>();
  if (s.empty()) return std::nullopt;
  if (s.size() > max_label_bytes) {
    std::size_t cut = max_label_bytes;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    s.resize(cut);
  }
  return s;
}

/// A finite number ≥ 0 (a count, a sum of dollars); nullopt otherwise.
std::optional<double> count_of(const json& obj, std::string_view key) {
  auto v = detail::number_member(obj, key);
  if (!v || !std::isfinite(*v) || *v < 0) return std::nullopt;
  return v;
}

const json* array_of(const json& obj, std::string_view key) {
  const json* m = detail::member(obj, key);
  return m && m->is_array() ? m : nullptr;
}

/// The value as JSON keeps it: an integer when it is one, else the shortest exact decimal.
json number_json(double v) {
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) return static_cast<std::int64_t>(v);
  return v;
}

std::string number_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) return std::to_string(static_cast<std::int64_t>(v));
  // nlohmann's shortest exact form: std::to_chars(double) would pull a large table into the
  // wasm module (config/validate.cpp's format_number does the same).
  return detail::dump(json(v));
}

void escape_label(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

using labels = std::vector<std::pair<std::string_view, std::string>>;

/// One family: its HELP and TYPE lines, then its samples (a label set seen twice is kept once:
/// a scrape with a duplicate series is refused whole).
class family {
 public:
  family(std::string& out, std::string_view name, std::string_view type, std::string_view help) : out_(out), name_(name) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(const labels& ls, double value, std::string_view suffix = {}) {
    std::string set;
    for (std::size_t i = 0; i < ls.size(); ++i) {
      if (i) set += ',';
      set += ls[i].first;
      set += "=\"";
      escape_label(set, ls[i].second);
      set += '"';
    }
    if (!seen_.insert(std::string(suffix) + "{" + set).second) return;
    out_ += name_;
    out_ += suffix;
    if (!set.empty()) {
      out_ += '{';
      out_ += set;
      out_ += '}';
    }
    out_ += ' ';
    out_ += number_text(value);
    out_ += '\n';
  }

 private:
  std::string& out_;
  std::string_view name_;
  std::set<std::string> seen_;
};

/// The instance's id when `instance` is a snapshot worth rendering (an object with a usable id).
std::optional<std::string> instance_id(const json& instance) {
  auto id = detail::string_member(instance, "instance");
  if (!id || id->empty() || id->size() > 64) return std::nullopt;
  return std::string(*id);
}

/// A {"count","p50","p90","p99"} object, cleaned: counts 0 when absent, percentiles null.
json latency_json(const json& store, std::string_view key) {
  const json* m = detail::member(store, key);
  json out = {{"count", 0}, {"p50", nullptr}, {"p90", nullptr}, {"p99", nullptr}};
  if (!m || !m->is_object()) return out;
  if (auto c = count_of(*m, "count")) out["count"] = number_json(*c);
  for (const char* p : {"p50", "p90", "p99"})
    if (auto v = count_of(*m, p)) out[p] = number_json(*v);
  return out;
}

void latency_text(std::string& out, const json& store, std::string_view key, std::string_view name, std::string_view what) {
  json l = latency_json(store, key);
  std::string fam(name);
  {
    family f(out, fam, "gauge", std::string(what) + " in milliseconds over the last 24 hours, by quantile");
    static constexpr std::pair<const char*, const char*> quantiles[] = {{"p50", "0.5"}, {"p90", "0.9"}, {"p99", "0.99"}};
    for (auto [p, q] : quantiles)
      if (l[p].is_number()) f.sample({{"quantile", q}}, l[p].get<double>());
  }
  std::string samples = fam + "_samples";
  family f(out, samples, "gauge", std::string("Answers the ") + std::string(name) + " quantiles are over (last 24 hours)");
  f.sample({}, l["count"].get<double>());
}

/// Each entry of store[key] whose labels and count are all present, as (labels, count).
template <typename Fn>
void each_row(const json& doc, std::string_view key, std::initializer_list<std::string_view> names, std::string_view count_key, Fn&& fn) {
  const json* rows = array_of(doc, key);
  if (!rows) return;
  for (const json& row : *rows) {
    if (!row.is_object()) continue;
    std::vector<std::string> values;
    bool ok = true;
    for (std::string_view n : names) {
      auto v = label_of(row, n);
      if (!v) {
        ok = false;
        break;
      }
      values.push_back(std::move(*v));
    }
    if (!ok) continue;
    auto c = count_of(row, count_key);
    if (!c) continue;
    fn(values, *c, row);
  }
}

}  // namespace

std::string metrics_prometheus(const json& store, const json& instance, const std::string& tenant) {
  std::string out;
  out.reserve(4096);
  {
    family f(out, "salient_info", "gauge", "The tenant the store series are for (always 1)");
    if (!tenant.empty()) f.sample({{"tenant", tenant}}, 1);
  }
  {
    family f(out, "salient_llm_requests_total", "counter", "Model requests by agent and model (all time)");
    each_row(store, "llm", {"agent", "model"}, "requests", [&](auto& v, double c, auto&) { f.sample({{"agent", v[0]}, {"model", v[1]}}, c); });
  }
  {
    family f(out, "salient_llm_tokens_total", "counter", "Model tokens by agent, model and kind (prompt or completion; all time)");
    for (auto [key, kind] : {std::pair{"prompt_tokens", "prompt"}, std::pair{"completion_tokens", "completion"}})
      each_row(store, "llm", {"agent", "model"}, key, [&](auto& v, double c, auto&) {
        f.sample({{"agent", v[0]}, {"model", v[1]}, {"kind", kind}}, c);
      });
  }
  {
    family f(out, "salient_llm_cost_usd_total", "counter", "Model spend in US dollars by agent and model (all time)");
    each_row(store, "llm", {"agent", "model"}, "cost_usd", [&](auto& v, double c, auto&) { f.sample({{"agent", v[0]}, {"model", v[1]}}, c); });
  }
  latency_text(out, store, "first_token_ms", "salient_first_token_ms", "Time to an answer's first token");
  latency_text(out, store, "answer_ms", "salient_answer_ms", "Time to an answer's end");
  {
    family f(out, "salient_emails_total", "counter", "Emails by kind and status (all time)");
    each_row(store, "emails", {"kind", "status"}, "count", [&](auto& v, double c, auto&) { f.sample({{"kind", v[0]}, {"status", v[1]}}, c); });
  }
  static constexpr std::pair<const char*, const char*> totals[] = {
      {"conversations", "Conversations started (all time)"},
      {"messages", "Messages stored, the visitors' and the answers' (all time)"},
      {"leads", "Conversations that are leads (all time)"}};
  for (auto [key, help] : totals) {
    std::string name = std::string("salient_") + key + "_total";
    family f(out, name, "counter", help);
    if (auto c = count_of(store, key)) f.sample({}, *c);
  }
  {
    family f(out, "salient_handoffs_total", "counter", "Requests for a person by status (all time)");
    each_row(store, "handoffs", {"status"}, "count", [&](auto& v, double c, auto&) { f.sample({{"status", v[0]}}, c); });
  }

  auto id = instance_id(instance);
  const json none = json::object();
  const json& inst = id ? instance : none;
  const std::string iid = id.value_or("");
  {
    family f(out, "salient_instance_requests_total", "counter", "Requests answered per instance, by module, route and status, since it started");
    each_row(inst, "requests", {"module", "route", "status"}, "count", [&](auto& v, double c, auto&) {
      f.sample({{"instance", iid}, {"module", v[0]}, {"route", v[1]}, {"status", v[2]}}, c);
    });
  }
  {
    family f(out, "salient_instance_upstream_errors_total", "counter",
             "Upstream errors per instance, by upstream and kind (timeout, network, http_4xx, http_5xx), since it started");
    each_row(inst, "upstream_errors", {"upstream", "kind"}, "count", [&](auto& v, double c, auto&) {
      f.sample({{"instance", iid}, {"upstream", v[0]}, {"kind", v[1]}}, c);
    });
  }
  {
    family f(out, "salient_instance_rate_limited_total", "counter", "Requests refused with 429 per instance, by route, since it started");
    each_row(inst, "rate_limited", {"route"}, "count", [&](auto& v, double c, auto&) { f.sample({{"instance", iid}, {"route", v[0]}}, c); });
  }
  {
    family f(out, "salient_instance_started_seconds", "gauge", "When the instance started, per instance (Unix time in seconds)");
    if (id)
      if (auto ms = count_of(instance, "started_ms")) f.sample({{"instance", iid}}, std::floor(*ms) / 1000.0);
  }
  return out;
}

std::string metrics_json(const json& store, const json& instance, const std::string& tenant) {
  json out = {{"tenant", tenant}, {"store", nullptr}, {"instance", nullptr}};
  if (store.is_object()) {
    json s = json::object();
    json llm = json::array();
    if (const json* rows = array_of(store, "llm")) {
      for (const json& row : *rows) {
        auto agent = label_of(row, "agent"), model = label_of(row, "model");
        if (!row.is_object() || !agent || !model) continue;
        json r = {{"agent", *agent}, {"model", *model}};
        for (const char* k : {"requests", "prompt_tokens", "completion_tokens", "cost_usd"}) r[k] = number_json(count_of(row, k).value_or(0));
        llm.push_back(std::move(r));
      }
    }
    s["llm"] = std::move(llm);
    s["first_token_ms"] = latency_json(store, "first_token_ms");
    s["answer_ms"] = latency_json(store, "answer_ms");
    json emails = json::array();
    each_row(store, "emails", {"kind", "status"}, "count", [&](auto& v, double c, auto&) {
      emails.push_back({{"kind", v[0]}, {"status", v[1]}, {"count", number_json(c)}});
    });
    s["emails"] = std::move(emails);
    for (const char* k : {"conversations", "messages", "leads"}) s[k] = number_json(count_of(store, k).value_or(0));
    json handoffs = json::array();
    each_row(store, "handoffs", {"status"}, "count", [&](auto& v, double c, auto&) {
      handoffs.push_back({{"status", v[0]}, {"count", number_json(c)}});
    });
    s["handoffs"] = std::move(handoffs);
    out["store"] = std::move(s);
  }
  if (auto id = instance_id(instance)) {
    json i = {{"instance", *id}, {"started_ms", number_json(std::floor(count_of(instance, "started_ms").value_or(0)))}};
    json requests = json::array(), errors = json::array(), limited = json::array();
    each_row(instance, "requests", {"module", "route", "status"}, "count", [&](auto& v, double c, const json& row) {
      auto code = detail::int_member(row, "status");
      json status = code ? json(*code) : json(v[2]);
      requests.push_back({{"module", v[0]}, {"route", v[1]}, {"status", status}, {"count", number_json(c)}});
    });
    each_row(instance, "upstream_errors", {"upstream", "kind"}, "count", [&](auto& v, double c, auto&) {
      errors.push_back({{"upstream", v[0]}, {"kind", v[1]}, {"count", number_json(c)}});
    });
    each_row(instance, "rate_limited", {"route"}, "count", [&](auto& v, double c, auto&) {
      limited.push_back({{"route", v[0]}, {"count", number_json(c)}});
    });
    i["requests"] = std::move(requests);
    i["upstream_errors"] = std::move(errors);
    i["rate_limited"] = std::move(limited);
    out["instance"] = std::move(i);
  }
  return detail::dump(out);
}

}  // namespace salient
