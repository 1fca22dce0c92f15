#pragma once
// Typed answers from the language model : the caller describes the object it
// wants (`object_spec`), the model is asked for it — as a strict JSON Schema through
// `response_format` when the model supports that, otherwise by instruction — and what comes
// back is validated into a `structured_value` before anyone reads it. Summaries and lead
// extraction build on this.
//
// Theory of operation (`ask_structured`)
//   1. One non-streaming chat/completions call: schema mode (response_format json_schema,
//      strict) or text mode (no response_format; a system message appended that gives the
//      schema and says "only the JSON object").
//   2. A 400 or 404 to schema mode (the model or every provider behind it refuses
//      response_format) → the same request once more in text mode.
//   3. The answer (`choices[0].message.content`) is read with parse_structured. Not valid (prose,
//      a refusal, a wrong type, a missing field, cut off by max_tokens) → ONE repair call in text
//      mode: the bad answer is sent back as the assistant's turn with a user message naming the
//      error. Still not valid → errc::upstream.
//   So at most three calls (schema refused, text answer, repair). Network failures, timeouts
//   and HTTP errors are never retried here: the outcome carries the classified `llm_failure`
//   (retryable, Retry-After) and the caller decides, e.g. with retry_delay_ms.
//
// Validation rules (parse_structured)
//   - The answer may be bare JSON, fenced (```json … ```) or wrapped in prose: the first
//     balanced `{…}` that parses as a JSON object is taken, and only that one is validated
//     (at most 32 `{` are tried; an answer over 256 KiB is rejected unread).
//   - Every field of the spec is read by name; members the spec does not name are ignored
//     (never exposed): strict mode already forbids them, and in text mode a harmless extra
//     member should not cost a repair call.
//   - A required field must be present and not null; an optional one may be missing or null.
//   - integer: a JSON integer in int64 range (an integral float such as 3.0 is accepted);
//     number: any finite JSON number; string_array: an array of strings.
//   - max_length (0 = none) counts code points: of the string, or of each string of an array.
//     It is not sent as `maxLength` in the schema (strict mode rejects that keyword on some
//     providers); it is stated in the field's description instead, and enforced here.
//   - Errors name the object and field and never quote the model's text:
//     "lead.email: expected a string", with error::path = "/email".
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "salient/config/config.h"
#include "salient/core/exchange.h"
#include "salient/core/http.h"
#include "salient/upstream/openrouter/llm_client.h"
#include "salient/core/result.h"
#include "salient/core/task.h"

namespace salient {

enum class field_type { string, integer, number, boolean, string_array };

struct field_spec {
  std::string name;          ///< the JSON member name, [A-Za-z0-9_-]
  field_type type = field_type::string;
  bool required = true;      ///< false: the model may answer null (or, in text mode, leave it out)
  std::string description;   ///< tells the model what goes here; may be empty
  std::size_t max_length = 0;  ///< strings: at most this many code points (each item of an array); 0 = no limit
};

/// The object the model must produce. `name` goes to response_format.json_schema.name and
/// prefixes error messages: [A-Za-z0-9_-]{1,64}, e.g. "lead".
struct object_spec {
  std::string name;
  std::string description;
  std::vector<field_spec> fields;
};

/// The JSON Schema of the object, in the subset strict mode accepts (OpenAI/OpenRouter): type
/// object, properties in field order, every field in `required`, additionalProperties false;
/// an optional field's type is [type, "null"]. Compact JSON, deterministic.
std::string json_schema_for(const object_spec& spec);

/// One validated field: null (std::monostate) only for an optional field that was null or absent.
using structured_field =
    std::variant<std::monostate, std::string, std::int64_t, double, bool, std::vector<std::string>>;

/// A validated object: one entry per field of its spec, in the spec's order, each holding the
/// alternative of its field_type (or null when optional). The accessors return nullopt for an
/// unknown name, a null value, or a name of another type.
class structured_value {
 public:
  structured_value() = default;
  explicit structured_value(std::vector<std::pair<std::string, structured_field>> fields) : fields_(std::move(fields)) {}

  const structured_field* find(std::string_view name) const;
  std::optional<std::string_view> text(std::string_view name) const;
  std::optional<std::int64_t> integer(std::string_view name) const;
  std::optional<double> number(std::string_view name) const;
  std::optional<bool> boolean(std::string_view name) const;
  /// An absent, null or unknown array reads as empty.
  std::span<const std::string> strings(std::string_view name) const;

  const std::vector<std::pair<std::string, structured_field>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, structured_field>> fields_;
};

/// Finds the object in the model's answer and validates it against `spec` (rules at the top).
/// Errors are errc::bad_request (the caller maps them; ask_structured turns them into a repair).
result<structured_value> parse_structured(std::string_view text, const object_spec& spec);

/// The value as a compact JSON object, fields in spec order, null for null: e.g. for storing.
std::string to_json(const structured_value& value);

/// The non-streaming chat/completions request: `messages` as given plus, in schema mode,
/// response_format {type: json_schema, json_schema: {name, strict: true, schema}} and
/// provider.require_parameters (so OpenRouter only routes to providers that honour it); in
/// text mode, a system message appended that gives the schema and asks for only the object.
outbound_request structured_request(const llm_endpoint& endpoint, const llm_settings& llm,
                                    const std::vector<chat_message>& messages, const object_spec& spec,
                                    bool use_schema, std::string_view app_name);

struct structured_outcome {
  result<structured_value> value = make_error(errc::internal, "not asked");
  /// Set when the last call got no usable HTTP answer (no answer, a non-2xx status, or an
  /// error object): its status, reason, and whether a retry could help. Unset when the model
  /// answered but its answer never validated.
  std::optional<llm_failure> failure;
  llm_usage usage;       ///< summed over the calls that reported it (-1 / nullopt: none did)
  int calls = 0;         ///< requests sent: 1 … 3
  bool schema_used = false;  ///< the accepted answer came from schema mode
};

/// Asks for one `spec` object (theory of operation at the top). `endpoint`, `llm` and `spec`
/// must outlive the task. Each call is an effect_policy::cancel_with_client effect: if the
/// client leaves, the call fails (aborted) and so does the outcome.
task<structured_outcome> ask_structured(exchange& ex, const llm_endpoint& endpoint, const llm_settings& llm,
                                        std::string app_name, std::vector<chat_message> messages,
                                        const object_spec& spec, bool model_supports_schema);

}  // namespace salient
