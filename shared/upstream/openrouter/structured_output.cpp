#include "salient/upstream/openrouter/structured_output.h"

#include <cmath>
#include <limits>

#include "salient/core/detail/json.h"

namespace salient {
namespace {

using detail::json;
using ojson = nlohmann::ordered_json;  // keeps properties in field order: models write them in that order

constexpr std::size_t max_answer_bytes = 256u << 10;  // above any max_tokens (32768); bounds the scan
constexpr int max_candidates = 32;                  // `{` positions tried before giving up
constexpr std::size_t max_echoed_answer = 16384;    // bytes of a bad answer sent back for repair

std::string dump(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

const char* type_name(field_type t) {
  switch (t) {
    case field_type::string: return "string";
    case field_type::integer: return "integer";
    case field_type::number: return "number";
    case field_type::boolean: return "boolean";
    case field_type::string_array: return "array";
  }
  return "string";
}

const char* expected(field_type t) {
  switch (t) {
    case field_type::string: return "expected a string";
    case field_type::integer: return "expected an integer";
    case field_type::number: return "expected a number";
    case field_type::boolean: return "expected true or false";
    case field_type::string_array: return "expected an array of strings";
  }
  return "expected a string";
}

ojson schema_of(const object_spec& spec) {
  ojson props = ojson::object();
  ojson required = ojson::array();
  for (const field_spec& f : spec.fields) {
    ojson p = ojson::object();
    if (f.required) p["type"] = type_name(f.type);
    else p["type"] = ojson::array({type_name(f.type), "null"});
    if (f.type == field_type::string_array) p["items"] = {{"type", "string"}};
    std::string description = f.description;
    if (f.max_length > 0) {
      if (!description.empty()) description += ' ';
      description += (f.type == field_type::string_array ? "Each item at most " : "At most ") +
                     std::to_string(f.max_length) + " characters.";
    }
    if (!description.empty()) p["description"] = description;
    props[f.name] = std::move(p);
    required.push_back(f.name);  // strict mode: every property is required; optional ones may be null
  }
  ojson schema = ojson::object();
  schema["type"] = "object";
  if (!spec.description.empty()) schema["description"] = spec.description;
  schema["properties"] = std::move(props);
  schema["required"] = std::move(required);
  schema["additionalProperties"] = false;
  return schema;
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count every byte that is not a continuation
  return n;
}

error field_error(const object_spec& spec, const field_spec& f, std::string what) {
  return make_error(errc::bad_request, spec.name + "." + f.name + ": " + std::move(what), "/" + f.name);
}

result<structured_field> read_field(const object_spec& spec, const field_spec& f, const json* v) {
  if (!v || v->is_null()) {
    if (!f.required) return structured_field{};
    return field_error(spec, f, v ? std::string(expected(f.type)) + ", got null" : "missing");
  }
  auto too_long = [&](const std::string& s) { return f.max_length > 0 && code_points(s) > f.max_length; };
  switch (f.type) {
    case field_type::string: {
      if (!v->is_string()) return field_error(spec, f, expected(f.type));
      const std::string& s = v->get_ref<const std::string&>();
      if (too_long(s)) return field_error(spec, f, "longer than " + std::to_string(f.max_length) + " characters");
      return structured_field{s};
    }
    case field_type::integer: {
      if (v->is_number_unsigned()) {
        auto u = v->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          return field_error(spec, f, "integer out of range");
        return structured_field{static_cast<std::int64_t>(u)};
      }
      if (v->is_number_integer()) return structured_field{v->get<std::int64_t>()};
      if (v->is_number_float()) {
        double d = v->get<double>();
        // [-2^63, 2^63): exactly the doubles that convert to int64 without overflow.
        if (std::isfinite(d) && std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
          return structured_field{static_cast<std::int64_t>(d)};
      }
      return field_error(spec, f, expected(f.type));
    }
    case field_type::number: {
      if (!v->is_number()) return field_error(spec, f, expected(f.type));
      double d = v->get<double>();
      if (!std::isfinite(d)) return field_error(spec, f, "number out of range");
      return structured_field{d};
    }
    case field_type::boolean:
      if (!v->is_boolean()) return field_error(spec, f, expected(f.type));
      return structured_field{v->get<bool>()};
    case field_type::string_array: {
      if (!v->is_array()) return field_error(spec, f, expected(f.type));
      std::vector<std::string> items;
      items.reserve(v->size());
      for (const json& item : *v) {
        if (!item.is_string()) return field_error(spec, f, expected(f.type));
        const std::string& s = item.get_ref<const std::string&>();
        if (too_long(s))
          return field_error(spec, f, "an item is longer than " + std::to_string(f.max_length) + " characters");
        items.push_back(s);
      }
      return structured_field{std::move(items)};
    }
  }
  return field_error(spec, f, expected(f.type));
}

/// The end (one past the `}`) of the balanced object starting at `start`, counting braces
/// outside JSON strings; npos when it never closes.
std::size_t balanced_end(std::string_view text, std::size_t start) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = start; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

/// The first balanced `{…}` in the text that parses as a JSON object (fences and prose around
/// it are skipped by construction).
std::optional<json> first_object(std::string_view text) {
  int tried = 0;
  for (std::size_t at = text.find('{'); at != std::string_view::npos && tried < max_candidates;
       at = text.find('{', at + 1), ++tried) {
    std::size_t end = balanced_end(text, at);
    if (end == std::string_view::npos) continue;
    std::string_view candidate = text.substr(at, end - at);
    if (candidate.find('\0') != std::string_view::npos) continue;  // nlohmann reads NUL as the end
    if (auto doc = detail::parse_json(candidate); doc && doc->is_object()) return doc;
  }
  return std::nullopt;
}

std::string instruction_for(const object_spec& spec) {
  return "Reply with only one JSON object, with no prose before or after it and no code fences. "
         "It must match this JSON Schema: " +
         json_schema_for(spec) +
         " Every property must be present; use null for an optional value you do not know.";
}

outbound_request completion_request(const llm_endpoint& endpoint, const llm_settings& llm,
                                    const std::vector<chat_message>& messages, const object_spec* schema_spec,
                                    std::string_view app_name) {
  ojson msgs = ojson::array();
  for (const auto& m : messages) msgs.push_back({{"role", m.role}, {"content", m.content}});
  ojson body = ojson::object();
  body["model"] = llm.model;
  body["messages"] = std::move(msgs);
  body["temperature"] = llm.temperature;
  body["max_tokens"] = llm.max_tokens;
  body["stream"] = false;
  if (schema_spec) {
    ojson format = ojson::object();
    format["type"] = "json_schema";
    format["json_schema"] = ojson::object();
    format["json_schema"]["name"] = schema_spec->name;
    format["json_schema"]["strict"] = true;
    format["json_schema"]["schema"] = schema_of(*schema_spec);
    body["response_format"] = std::move(format);
    // Route only to providers that honour response_format (OpenRouter provider routing);
    // when none does, OpenRouter answers 404 and ask_structured falls back to text mode.
    body["provider"] = {{"require_parameters", true}};
  }
  outbound_request out;
  out.method = "POST";
  out.url = endpoint.base_url + "/chat/completions";
  out.headers = {{"authorization", "Bearer " + endpoint.key},
                 {"content-type", "application/json"},
                 {"accept", "application/json"},
                 {"x-title", std::string(app_name)}};
  out.body = dump(body);
  out.timeout_ms = llm.timeout_ms;  // a whole effect: the complete answer must arrive in time
  return out;
}

std::vector<chat_message> with_instruction(std::vector<chat_message> messages, const object_spec& spec) {
  messages.push_back({"system", instruction_for(spec)});
  return messages;
}

void add_usage(llm_usage& sum, const json& doc) {
  const json* u = detail::member(doc, "usage");
  if (!u || !u->is_object()) return;
  auto add = [](std::int64_t& to, std::optional<std::int64_t> v) {
    if (v && *v >= 0) to = (to < 0 ? 0 : to) + *v;
  };
  add(sum.prompt_tokens, detail::int_member(*u, "prompt_tokens"));
  add(sum.completion_tokens, detail::int_member(*u, "completion_tokens"));
  add(sum.total_tokens, detail::int_member(*u, "total_tokens"));
  if (auto cost = detail::number_member(*u, "cost")) sum.cost = sum.cost.value_or(0) + *cost;
}

/// What one call came back with.
struct call_result {
  std::optional<llm_failure> failure;  // no usable HTTP answer
  std::string answer;                  // the assistant's text (or refusal), for the repair
  result<structured_value> value = make_error(errc::internal, "not read");
};

call_result read_answer(const fetch_result& r, const object_spec& spec, llm_usage& usage) {
  call_result out;
  if (r.failure) {
    out.failure = classify_effect_failure(*r.failure);
    return out;
  }
  if (r.head.status < 200 || r.head.status >= 300) {
    out.failure = classify_status(r.head, r.body);
    return out;
  }
  auto doc = detail::parse_json(r.body);
  if (!doc || !doc->is_object()) {
    out.failure = llm_failure{r.head.status, "unreadable completion", false, -1};
    return out;
  }
  add_usage(usage, *doc);
  // OpenRouter can answer 200 with an error object (the provider failed after routing).
  if (const json* e = detail::member(*doc, "error"); e && !e->is_null()) {
    llm_failure f;
    f.status = static_cast<int>(detail::int_member(*e, "code").value_or(0));
    f.retryable = f.status == 408 || f.status == 429 || f.status >= 500;
    f.reason = "error in completion: " + std::string(detail::string_member(*e, "message").value_or("unknown").substr(0, 200));
    out.failure = std::move(f);
    return out;
  }
  const json* choices = detail::member(*doc, "choices");
  const json* message = choices && choices->is_array() && !choices->empty() ? detail::member((*choices)[0], "message") : nullptr;
  if (!message) {
    out.failure = llm_failure{r.head.status, "completion without a message", false, -1};
    return out;
  }
  if (auto content = detail::string_member(*message, "content"); content && !content->empty()) {
    out.answer = std::string(*content);
    out.value = parse_structured(*content, spec);
    if (!out.value) {
      if (auto reason = detail::string_member((*choices)[0], "finish_reason"); reason && *reason == "length")
        out.value = make_error(errc::bad_request, out.value.err().message + " (the answer was cut off at max_tokens)",
                               out.value.err().path);
    }
  } else if (auto refusal = detail::string_member(*message, "refusal"); refusal && !refusal->empty()) {
    out.answer = std::string(*refusal);
    out.value = make_error(errc::bad_request, spec.name + ": the model declined to answer");
  } else {
    out.value = make_error(errc::bad_request, spec.name + ": the answer was empty");
  }
  return out;
}

error failure_error(const llm_failure& f) {
  // Reachable-but-failing and unreachable both mean "not now"; a refused request is upstream.
  return make_error(f.retryable ? errc::unavailable : errc::upstream, "the language model call failed: " + f.reason);
}

}  // namespace

std::string json_schema_for(const object_spec& spec) { return dump(schema_of(spec)); }

const structured_field* structured_value::find(std::string_view name) const {
  for (const auto& [k, v] : fields_)
    if (k == name) return &v;
  return nullptr;
}

std::optional<std::string_view> structured_value::text(std::string_view name) const {
  const structured_field* f = find(name);
  const std::string* s = f ? std::get_if<std::string>(f) : nullptr;
  return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

std::optional<std::int64_t> structured_value::integer(std::string_view name) const {
  const structured_field* f = find(name);
  const std::int64_t* v = f ? std::get_if<std::int64_t>(f) : nullptr;
  return v ? std::optional<std::int64_t>(*v) : std::nullopt;
}

std::optional<double> structured_value::number(std::string_view name) const {
  const structured_field* f = find(name);
  const double* v = f ? std::get_if<double>(f) : nullptr;
  return v ? std::optional<double>(*v) : std::nullopt;
}

std::optional<bool> structured_value::boolean(std::string_view name) const {
  const structured_field* f = find(name);
  const bool* v = f ? std::get_if<bool>(f) : nullptr;
  return v ? std::optional<bool>(*v) : std::nullopt;
}

std::span<const std::string> structured_value::strings(std::string_view name) const {
  const structured_field* f = find(name);
  const auto* v = f ? std::get_if<std::vector<std::string>>(f) : nullptr;
  return v ? std::span<const std::string>(*v) : std::span<const std::string>();
}

result<structured_value> parse_structured(std::string_view text, const object_spec& spec) {
  if (text.size() > max_answer_bytes) return make_error(errc::bad_request, spec.name + ": the answer is too long");
  std::optional<json> doc = first_object(text);
  if (!doc) return make_error(errc::bad_request, spec.name + ": no JSON object found in the answer");
  std::vector<std::pair<std::string, structured_field>> fields;
  fields.reserve(spec.fields.size());
  for (const field_spec& f : spec.fields) {
    auto v = read_field(spec, f, detail::member(*doc, f.name));
    if (!v) return v.err();
    fields.emplace_back(f.name, std::move(*v));
  }
  return structured_value(std::move(fields));
}

std::string to_json(const structured_value& value) {
  ojson out = ojson::object();
  for (const auto& [name, v] : value.fields()) {
    ojson& slot = out[name];
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::monostate>) slot = nullptr;
          else slot = x;
        },
        v);
  }
  return dump(out);
}

outbound_request structured_request(const llm_endpoint& endpoint, const llm_settings& llm,
                                    const std::vector<chat_message>& messages, const object_spec& spec,
                                    bool use_schema, std::string_view app_name) {
  if (use_schema) return completion_request(endpoint, llm, messages, &spec, app_name);
  return completion_request(endpoint, llm, with_instruction(messages, spec), nullptr, app_name);
}

task<structured_outcome> ask_structured(exchange& ex, const llm_endpoint& endpoint, const llm_settings& llm,
                                        std::string app_name, std::vector<chat_message> messages,
                                        const object_spec& spec, bool model_supports_schema) {
  structured_outcome out;
  bool schema = model_supports_schema;

  ++out.calls;
  call_result first = read_answer(co_await ex.fetch(structured_request(endpoint, llm, messages, spec, schema, app_name)),
                                  spec, out.usage);
  if (schema && first.failure && (first.failure->status == 400 || first.failure->status == 404)) {
    ex.log(log_level::warn, "llm.structured_fallback",
           {{"object", spec.name}, {"model", llm.model}, {"reason", first.failure->reason}});
    schema = false;
    ++out.calls;
    first = read_answer(co_await ex.fetch(structured_request(endpoint, llm, messages, spec, false, app_name)), spec,
                        out.usage);
  }
  if (first.failure) {
    out.value = failure_error(*first.failure);
    out.failure = std::move(first.failure);
    co_return out;
  }
  if (first.value) {
    out.value = std::move(first.value);
    out.schema_used = schema;
    co_return out;
  }

  // One repair, in text mode whatever the first mode was: the bad answer goes back as the
  // assistant's turn, and the error (which names a field, never quotes the answer) with it.
  const std::string& why = first.value.err().message;
  ex.log(log_level::warn, "llm.structured_repair", {{"object", spec.name}, {"model", llm.model}, {"reason", why}});
  std::vector<chat_message> repair = with_instruction(std::move(messages), spec);
  repair.push_back({"assistant", first.answer.empty() ? std::string("(no answer)") : first.answer.substr(0, max_echoed_answer)});
  repair.push_back({"user", "Your answer was not valid: " + why +
                                ". Reply with only the JSON object, matching the schema, with no other text."});
  ++out.calls;
  call_result second = read_answer(co_await ex.fetch(completion_request(endpoint, llm, repair, nullptr, app_name)),
                                   spec, out.usage);
  if (second.failure) {
    out.value = failure_error(*second.failure);
    out.failure = std::move(second.failure);
  } else if (second.value) {
    out.value = std::move(second.value);
  } else {
    out.value = make_error(errc::upstream, "the model's answer was not valid after one repair: " + second.value.err().message,
                           second.value.err().path);
  }
  co_return out;
}

}  // namespace salient
