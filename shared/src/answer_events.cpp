#include "answer_events.h"

#include "salient/detail/json.h"
#include "salient/html.h"
#include "salient/respond.h"
#include "salient/sse.h"

namespace salient {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        out.append("\\u00");
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xF]);
    }
  }
  out.append(s.substr(run));
  out.push_back('"');
}

void answer_events::meta_offline(offline_intent intent, std::string_view reason) {
  if (fmt_ == event_format::json)
    send("meta", detail::dump(detail::json{
                     {"mode", "offline"}, {"label", "Offline answer"}, {"intent", intent_name(intent)}, {"reason", reason}}));
  else
    send("meta", R"(<span class="badge offline" title="Answered without the AI model">Offline answer</span>)");
}

void answer_events::meta_llm(std::string_view model) {
  if (fmt_ == event_format::json) send("meta", detail::dump(detail::json{{"mode", "llm"}, {"model", model}}));
  else send("meta", "");  // a model's answer is the normal case: no badge
}

void answer_events::token(std::string_view text) {
  scratch_.clear();
  if (fmt_ == event_format::json) {
    scratch_.append(R"({"text":)");
    append_json_string(scratch_, text);
    scratch_.push_back('}');
  } else {
    scratch_ = escape_html(text);
  }
  send("token", scratch_);
}

void answer_events::error(const salient::error& e, bool retryable) {
  if (fmt_ == event_format::json) send("error", sse_error_data(e, retryable));
  else send("error", escape_html(e.message));
}

void answer_events::done(std::string_view message_id) {
  send("done", detail::dump(detail::json{{"message_id", message_id}}));
}

void answer_events::send(std::string_view event, std::string_view data) {
  ex_.write(sse_event(event, std::to_string(++id_), data));
}

}  // namespace salient
