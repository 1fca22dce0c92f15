// Typed answers from the language model, the calls: ask_structured's schema mode, text-mode
// fallback and one repair (structured_output.h has the theory of operation).
#include "salient/upstream/openrouter/structured_output.h"

#include "core/json.h"
#include "salient/core/json_write.h"

namespace salient {
namespace {

using detail::json;

constexpr std::size_t max_echoed_answer = 16384;  // bytes of a bad answer sent back for repair

std::string instruction_for(const object_spec& spec) {
  return "Reply with only one JSON object, with no prose before or after it and no code fences. "
         "It must match this JSON Schema: " +
         json_schema_for(spec) +
         " Every property must be present; use null for an optional value you do not know.";
}

/// A whole (not streamed) answer, held to `schema_spec`'s JSON Schema when one is given.
outbound_request completion_request(const llm_endpoint& endpoint, const llm_settings& llm,
                                    const std::vector<chat_message>& messages, const object_spec* schema_spec,
                                    std::string_view app_name) {
  completion_options options;
  options.stream = false;
  if (schema_spec) {
    std::string& format = options.response_format_json;
    format = R"({"type":"json_schema","json_schema":{"name":)";
    append_json_string(format, schema_spec->name);
    format += R"(,"strict":true,"schema":)" + json_schema_for(*schema_spec) + "}}";
  }
  return chat_completion_request(endpoint, llm, messages, app_name, options);
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
