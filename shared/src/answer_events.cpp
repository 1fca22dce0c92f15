#include "answer_events.h"

#include <charconv>
#include <cstdio>

#include "salient/detail/json.h"
#include "salient/html.h"
#include "salient/json_write.h"
#include "salient/respond.h"
#include "salient/sse.h"

namespace salient {

void answer_events::meta_offline(offline_intent intent, std::string_view reason, bool excerpts) {
  std::string_view label = excerpts ? "Offline answer: excerpts from our pages" : "Offline answer";
  if (fmt_ == event_format::json) {
    detail::json meta{{"mode", "offline"}, {"label", label}, {"intent", intent_name(intent)}, {"reason", reason},
                      {"allow_basic_html", allow_basic_html_}};
    if (excerpts) meta["excerpts"] = true;
    send("meta", detail::dump(meta));
  } else {
    send("meta", R"(<span class="badge offline" title="Answered without the AI model">)" + escape_html(label) + "</span>");
  }
}

void answer_events::meta_llm(std::string_view model) {
  if (fmt_ == event_format::json)
    send("meta", detail::dump(detail::json{{"mode", "llm"}, {"model", model}, {"allow_basic_html", allow_basic_html_}}));
  else send("meta", "");  // a model's answer is the normal case: no badge
}

void answer_events::token(std::string_view text) {
  if (fmt_ == event_format::json) {
    // The hot path: written straight into the WRITE step, in three appends. The same bytes
    // send() frames (the JSON text has no raw line breaks, so it is one data line).
    sent_ += text.size();
    std::string* out = ex_.write_buffer();
    if (!out) return;
    static constexpr std::string_view before_id = "id: ", after_id = "\nevent: token\ndata: {\"text\":";
    char head[80];
    before_id.copy(head, before_id.size());
    char* at = next_id(head + before_id.size(), head + 40);
    at += after_id.copy(at, after_id.size());
    out->append(head, static_cast<std::size_t>(at - head));
    append_json_string(*out, text);
    out->append("}\n\n");
    return;
  }
  sent_ += text.size();
  scratch_ = escape_html(text);
  send("token", scratch_);
}

void answer_events::citations(const std::vector<source>& sources, const std::vector<int>& numbers) {
  if (numbers.empty()) return;
  if (fmt_ == event_format::json) {
    send("citations", detail::dump(detail::json{{"citations", citations_json(sources, numbers)}}));
    return;
  }
  // html: the sources list under the answer. Built from the same checked JSON, so the page
  // and the widget show the same links (unsafe URLs already removed).
  send("citations", sources_list_html(citations_json(sources, numbers)));
}

void answer_events::citations(const detail::json& stored) {
  if (!stored.is_array() || stored.empty()) return;
  if (fmt_ == event_format::json) send("citations", detail::dump(detail::json{{"citations", stored}}));
  else send("citations", sources_list_html(stored));
}

void answer_events::notice(std::string_view code, std::string_view message) {
  if (fmt_ == event_format::json) send("notice", detail::dump(detail::json{{"code", code}, {"message", message}}));
  else send("notice", escape_html(message));
}

void answer_events::error(const salient::error& e, bool retryable) {
  if (fmt_ == event_format::json) send("error", sse_error_data(e, retryable));
  else send("error", escape_html(e.message));
}

void answer_events::done(std::string_view message_id) {
  send("done", detail::dump(detail::json{{"message_id", message_id}}));
}

void answer_events::send(std::string_view event, std::string_view data) {
  // Built in a buffer kept across events: no allocation per token once it has grown.
  event_buf_.clear();
  char id[40];
  append_sse_event(event_buf_, event, std::string_view(id, static_cast<std::size_t>(next_id(id, id + sizeof id) - id)), data);
  ex_.write(event_buf_);
}

char* answer_events::next_id(char* out, char* end) {
  // 40 bytes hold any int, '-' and any 64-bit size: to_chars cannot fail here.
  out = std::to_chars(out, end, ++id_).ptr;
  *out++ = '-';
  return std::to_chars(out, end, static_cast<std::uint64_t>(sent_)).ptr;
}

}  // namespace salient
