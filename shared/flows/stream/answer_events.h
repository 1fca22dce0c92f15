#pragma once
// The events of an answer stream (GET /a/{agent}/events/stream), in the formats a client may
// ask for: `html` (htmx's SSE extension swaps the data in as HTML: text is escaped), `json`
// (widget and API clients), and `whole` (ui.sse_enabled: false, or a client that asks with
// Accept: application/json): no stream, one JSON document once the answer is complete,
// {"meta","notices":[…],"text","citations":[…],"error":null|{…},"message_id"}. Every event carries an `id:` of the form `<n>-<bytes>`: n
// counts the stream's events (1, 2, …) and bytes is how much answer text was sent up to and
// including that event. A client whose connection dropped sends the last id back as
// Last-Event-ID and the resumed stream starts with the text after those bytes (stream_flow.cpp).
//   meta   how the answer is produced: {"mode":"llm","model":…}, {"mode":"offline","intent":…,"reason":…}
//          or {"mode":"handoff"} (a holding note while a person from the team has the conversation);
//          in json, also "allow_basic_html" (ui.allow_basic_html: how the widget renders the markdown)
//   token  a piece of answer text, in order
//   citations  {"citations":[{n,title,heading,url,source,score,rank,snippet}]}: the sources the
//          answer cited ([n] in its text), after the last token; in html, a sources list
//   notice {"code","message"}: something the visitor should know about this answer, before its
//          text (e.g. the site search was unavailable); in html, the escaped message
//   error  {"code","message","retryable"}: the answer stopped; retryable = sending again may work
//   done   {"message_id"}: the stored answer's id (empty when it could not be stored), and
//          "handoff": "requested" | "offer" | "quiet" when a person from the team is involved
#include <string>
#include <string_view>

#include "core/json.h"
#include "salient/core/exchange.h"
#include "salient/flows/stream/offline.h"
#include "salient/core/result.h"

#include "knowledge/sources.h"

namespace salient {

enum class event_format { html, json, whole };

class answer_events {
 public:
  answer_events(exchange& ex, event_format fmt) : ex_(ex), fmt_(fmt) {}
  /// A resumed stream: its ids go on after the client's last one.
  answer_events(exchange& ex, event_format fmt, int last_id, std::size_t sent_bytes)
      : ex_(ex), fmt_(fmt), id_(last_id), sent_(sent_bytes) {}

  /// The response head: an event stream, or nothing yet for `whole` (done() answers).
  void open();
  /// ui.allow_basic_html, told to json clients in `meta` (the html page has it from the page).
  void set_allow_basic_html(bool allow) { allow_basic_html_ = allow; }
  /// `excerpts`: the answer quotes retrieved passages rather than a canned reply.
  void meta_offline(offline_intent intent, std::string_view reason, bool excerpts = false);
  void meta_llm(std::string_view model);
  /// The holding note while a person from the team has the conversation: {"mode":"handoff"}.
  void meta_handoff();
  void token(std::string_view text);
  /// The sources `numbers` names (citations_json in retrieval.h); nothing when there are none.
  void citations(const std::vector<source>& sources, const std::vector<int>& numbers);
  /// The same event from a stored answer's metadata.citations (already checked when stored).
  void citations(const detail::json& stored);
  void notice(std::string_view code, std::string_view message);
  void error(const salient::error& e, bool retryable);
  void done(std::string_view message_id);
  /// A handoff state for the `done` event ("requested" | "offer" | "quiet"): what the client does
  /// next about a person from the team (send the request, show the button, nothing).
  void set_handoff(std::string_view state) { handoff_ = state; }

 private:
  void send(std::string_view event, std::string_view data);
  /// Writes the next event's id (`<n>-<bytes>`) into `out`; returns the end.
  char* next_id(char* out, char* end);
  exchange& ex_;
  std::string_view handoff_;
  event_format fmt_;
  int id_ = 0;
  std::size_t sent_ = 0;  // bytes of answer text in the token events so far
  bool allow_basic_html_ = false;
  std::string scratch_;    // reused per token: no allocation on the hot path once warm
  std::string event_buf_;  // likewise for the framed event
  detail::json whole_ = detail::json::object();  // `whole`: meta, notices, citations, error so far
  std::string whole_text_;                        // `whole`: the answer's text so far
};

}  // namespace salient
