#include "salient/runtime/instance.h"

#include <sodium.h>

#include "config/config_json.h"
#include "core/json.h"
#include "salient/core/envelope.h"
#include "salient/http/respond.h"

#include "http/chat_input.h"
#include "http/cors.h"

namespace salient {
namespace {

log_level level_from(std::string_view name) {
  if (name == "DEBUG") return log_level::debug;
  if (name == "WARN") return log_level::warn;
  if (name == "ERROR") return log_level::error;
  return log_level::info;
}

task<void> reject_bad_head(exchange& ex, error e) {
  respond_error(ex, e, response_format::json);
  co_return;
}

/// A forged request (check_origin_gate): refused before any module's route runs.
task<void> refuse(exchange& ex, error e) {
  ex.log(log_level::info, "http.cross_site_refused", {{"method", ex.req().method}});
  respond_error(ex, e, format_for(ex.req()));
  co_return;
}

}  // namespace

result<void> instance::load_knowledge(std::string bytes) {
  auto ix = knowledge_index::load(std::move(bytes));
  if (!ix) return ix.err();
  knowledge_ = std::move(*ix);
  return {};
}

result<void> instance::configure(std::string_view text) {
  if (sodium_init() < 0) return make_error(errc::internal, "libsodium failed to initialise");
  // One duplicate-key scan and one parse of the whole input (config and env): this runs for
  // every new instance, and the compiled config carries the personas' prompts.
  if (auto dup = detail::find_duplicate_key(text)) return std::move(*dup);
  auto doc = detail::parse_json(text);
  if (!doc || !doc->is_object()) return make_error(errc::misconfigured, "configure input is not a JSON object");
  const detail::json* cfg_json = detail::member(*doc, "config");
  auto cfg = detail::config_from_json(cfg_json ? *cfg_json : detail::json::object());
  if (!cfg) return cfg.err();
  environment env;
  if (const detail::json* vars = detail::member(*doc, "env"); vars && vars->is_object()) {
    for (auto it = vars->begin(); it != vars->end(); ++it)
      if (it.value().is_string()) env.set(it.key(), it.value().get<std::string>());
  }
  level_ = level_from(cfg->logging.level);
  cfg_ = std::move(*cfg);
  env_ = std::move(env);
  return {};
}

std::uint32_t instance::start(std::string_view head_json, std::string_view body) {
  if (!cfg_) return 0;
  std::uint32_t handle = next_handle_++;
  auto req = parse_request_head(head_json, body);
  if (!req) {
    request placeholder;
    placeholder.method = "GET";
    placeholder.target = placeholder.path = "/";
    auto state = std::make_unique<in_flight>(std::move(placeholder), level_);
    state->ex.start(reject_bad_head(state->ex, req.err()));
    handles_[handle] = std::move(state);
    return handle;
  }
  auto state = std::make_unique<in_flight>(std::move(*req), level_);
  auto& s = *state;
  handles_[handle] = std::move(state);
  s.ex.always_add(cors_response_headers(s.ex.req(), *cfg_));
  if (s.ex.req().method == "OPTIONS") s.ex.start(cors_preflight(s.ex, *cfg_));  // the same in every module
  else if (auto forged = chat_input::check_origin_gate(s.ex.req(), *cfg_)) s.ex.start(refuse(s.ex, std::move(*forged)));
  else s.ex.start(entry_(function_context{*cfg_, env_, s.ex, s.rng, memory_, knowledge_}));
  return handle;
}

exchange* instance::find(std::uint32_t handle) {
  if (last_exchange_ && last_handle_ == handle) return last_exchange_;
  auto it = handles_.find(handle);
  if (it == handles_.end()) return nullptr;
  last_handle_ = handle;
  return last_exchange_ = &it->second->ex;
}

void instance::release(std::uint32_t handle) {
  if (last_handle_ == handle) last_exchange_ = nullptr;
  handles_.erase(handle);
}

}  // namespace salient
