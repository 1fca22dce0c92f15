#include "flows/stream/answer_events.h"

#include <charconv>
#include <cstdio>

#include "core/json.h"
#include "salient/render/html.h"
#include "salient/core/json_write.h"
#include "salient/http/respond.h"
#include "salient/http/sse.h"
#include "render/sources_html.h"

namespace salient {

void answer_events::open() {
  // The whole answer is one JSON document, answered by done(): nothing to open yet.
  if (fmt_ == event_format::whole) return;
  ex_.respond({200,
               {{"content-type", "text/event-stream; charset=utf-8"},
                {"cache-control", "no-store"},
                {"x-content-type-options", "nosniff"},
                {"x-accel-buffering", "no"}}});
}

void answer_events::meta_offline(offline_intent intent, std::string_view reason, bool excerpts) {
  std::string_view label = excerpts ? "Offline answer: excerpts from our pages" : "Offline answer";
  if (fmt_ != event_format::html) {
    detail::json meta{{"mode", "offline"}, {"label", label}, {"intent", intent_name(intent)}, {"reason", reason},
                      {"allow_basic_html", allow_basic_html_}};
    if (excerpts) meta["excerpts"] = true;
    if (fmt_ == event_format::whole) whole_["meta"] = std::move(meta);
    else send("meta", detail::dump(meta));
  } else {
    send("meta", R"(<span class="badge offline" title="Answered without the AI model">)" + escape_html(label) + "</span>");
  }
}

void answer_events::meta_handoff() {
  // A person from the team has the conversation: neither the model nor the offline responder
  // answered, so no badge says either.
  if (fmt_ == event_format::html) return send("meta", "");
  detail::json meta{{"mode", "handoff"}, {"allow_basic_html", allow_basic_html_}};
  if (fmt_ == event_format::whole) whole_["meta"] = std::move(meta);
  else send("meta", detail::dump(meta));
}

void answer_events::meta_llm(std::string_view model) {
  if (fmt_ == event_format::html) {
    send("meta", "");  // a model's answer is the normal case: no badge
    return;
  }
  detail::json meta{{"mode", "llm"}, {"model", model}, {"allow_basic_html", allow_basic_html_}};
  if (fmt_ == event_format::whole) whole_["meta"] = std::move(meta);
  else send("meta", detail::dump(meta));
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
  if (fmt_ == event_format::whole) {
    whole_text_ += text;
    return;
  }
  scratch_ = escape_html(text);
  send("token", scratch_);
}

void answer_events::citations(const std::vector<source>& sources, const std::vector<int>& numbers) {
  if (numbers.empty()) return;
  if (fmt_ == event_format::whole) {
    whole_["citations"] = citations_json(sources, numbers);
    return;
  }
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
  if (fmt_ == event_format::whole) whole_["citations"] = stored;
  else if (fmt_ == event_format::json) send("citations", detail::dump(detail::json{{"citations", stored}}));
  else send("citations", sources_list_html(stored));
}

void answer_events::notice(std::string_view code, std::string_view message) {
  detail::json n{{"code", code}, {"message", message}};
  if (fmt_ == event_format::whole) whole_["notices"].push_back(std::move(n));
  else if (fmt_ == event_format::json) send("notice", detail::dump(n));
  else send("notice", escape_html(message));
}

void answer_events::error(const salient::error& e, bool retryable) {
  if (fmt_ == event_format::whole)
    whole_["error"] = detail::json{{"code", e.code_or_kind()}, {"message", e.message}, {"retryable", retryable}};
  else if (fmt_ == event_format::json) send("error", sse_error_data(e, retryable));
  else send("error", escape_html(e.message));
}

void answer_events::done(std::string_view message_id) {
  if (fmt_ != event_format::whole) {
    detail::json data{{"message_id", message_id}};
    if (!handoff_.empty()) data["handoff"] = handoff_;
    send("done", detail::dump(data));
    return;
  }
  auto part = [&](std::string_view key, detail::json fallback) {
    const detail::json* v = detail::member(whole_, key);
    return v ? *v : fallback;
  };
  respond_json(ex_, 200, detail::dump(detail::json{{"meta", part("meta", nullptr)},
                                                   {"notices", part("notices", detail::json::array())},
                                                   {"text", whole_text_},
                                                   {"citations", part("citations", detail::json::array())},
                                                   {"error", part("error", nullptr)},
                                                   {"message_id", message_id},
                                                   {"handoff", handoff_.empty() ? detail::json() : detail::json(handoff_)}}));
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
