// The command ABI (docs/ABI.md, "Command build"): the same machine driven by JSON lines on
// stdin, its steps printed as JSON lines on stdout, so any WASI preview1 runtime can replay a
// recorded transcript. stdio only (no iostream: it would add ~320 KB to the module).
#include <sodium.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "function_entry.h"
#include "core/json.h"
#include "salient/core/envelope.h"

namespace {

using salient::detail::json;

void emit(const json& line) {
  std::string text = salient::detail::dump(line);
  text.push_back('\n');
  std::fwrite(text.data(), 1, text.size(), stdout);
}

std::string to_base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

/// Body bytes from a line: "data" (UTF-8 text) or "data_base64"/"body_base64".
bool read_bytes(const json& line, const char* text_key, const char* b64_key, std::string& out) {
  if (auto text = salient::detail::string_member(line, text_key)) {
    out = std::string(*text);
    return true;
  }
  auto b64 = salient::detail::string_member(line, b64_key);
  if (!b64) return true;  // absent: empty
  out.assign(b64->size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), b64->data(), b64->size(), nullptr,
                        &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  out.resize(len);
  return true;
}

void put_bytes(json& line, std::string_view bytes) {
  if (salient::is_valid_utf8(bytes)) line["data"] = bytes;
  else line["data_base64"] = to_base64(bytes);
}

/// Prints every step the handle has ready; releases it after done.
void drain(salient::instance& inst, std::uint32_t handle) {
  while (salient::exchange* ex = inst.find(handle)) {
    salient::step s = ex->next();
    json line = {{"handle", handle}};
    switch (s.kind) {
      case salient::step_kind::wait: return;
      case salient::step_kind::yield: continue;  // a batch host delivers nothing early: go on at once
      case salient::step_kind::done:
        line["step"] = "done";
        emit(line);
        inst.release(handle);
        return;
      case salient::step_kind::write:
        line["step"] = "write";
        put_bytes(line, s.data);
        break;
      case salient::step_kind::effect: {
        // The reactor passes the body raw after the JSON line; a transcript carries it as text
        // (or base64 when it is not UTF-8), as it carries WRITE bytes.
        line["step"] = "effect";
        auto [head, body] = salient::split_effect_step(s.data);
        auto doc = salient::detail::parse_json(head);
        if (doc && doc->is_object()) line.update(*doc);
        if (!body.empty()) {
          if (salient::is_valid_utf8(body)) line["body"] = body;
          else line["body_base64"] = to_base64(body);
        }
        break;
      }
      case salient::step_kind::respond:
      case salient::step_kind::cancel_effect:
      case salient::step_kind::log: {
        static constexpr const char* names[] = {"wait", "effect", "respond", "write", "done", "cancel_effect", "log"};
        line["step"] = names[static_cast<int>(s.kind)];
        auto doc = salient::detail::parse_json(s.data);
        if (doc && doc->is_object()) line.update(*doc);
        break;
      }
    }
    emit(line);
  }
}

void handle_line(salient::instance& inst, std::string_view text, std::size_t line_no) {
  auto fail = [&](std::string_view why) { emit(json{{"error", why}, {"line", line_no}}); };
  auto line = salient::detail::parse_json(text);
  if (!line || !line->is_object()) return fail("not a JSON object");
  std::string_view op = salient::detail::string_member(*line, "op").value_or("");
  if (op == "configure") {
    json cfg = {{"config", json::object()}, {"env", json::object()}};
    if (auto* c = salient::detail::member(*line, "config")) cfg["config"] = *c;
    if (auto* e = salient::detail::member(*line, "env")) cfg["env"] = *e;
    auto r = inst.configure(salient::detail::dump(cfg));
    if (!r) return fail("configure: " + r.err().message + (r.err().path.empty() ? "" : " at " + r.err().path));
    emit(json{{"configured", true}});
    return;
  }
  if (op == "knowledge") {
    std::string bytes;
    if (!read_bytes(*line, "data", "data_base64", bytes)) return fail("knowledge: unreadable data");
    auto r = inst.load_knowledge(std::move(bytes));
    if (!r) return fail("knowledge: " + r.err().message);
    emit(json{{"knowledge", true}});
    return;
  }
  if (op == "start") {
    const json* head = salient::detail::member(*line, "request");
    std::string body;
    if (!head || !read_bytes(*line, "body", "body_base64", body)) return fail("start needs a request and a readable body");
    std::uint32_t handle = inst.start(salient::detail::dump(*head), body);
    if (handle == 0) return fail("start before configure");
    drain(inst, handle);
    return;
  }
  auto handle = salient::detail::int_member(*line, "handle");
  salient::exchange* ex = handle ? inst.find(static_cast<std::uint32_t>(*handle)) : nullptr;
  if (!ex) return fail("unknown handle");
  auto h = static_cast<std::uint32_t>(*handle);
  auto id = static_cast<std::uint32_t>(salient::detail::int_member(*line, "id").value_or(0));
  if (op == "effect_head") {
    auto head = salient::parse_response_head(text);
    if (!head) return fail("effect_head: " + head.err().message);
    ex->feed_head(id, std::move(*head));
  } else if (op == "effect_chunk") {
    std::string data;
    if (!read_bytes(*line, "data", "data_base64", data)) return fail("effect_chunk: unreadable data");
    ex->feed_chunk(id, data);
  } else if (op == "effect_end") {
    ex->feed_end(id);
  } else if (op == "effect_fail") {
    auto failure = salient::parse_effect_failure(text);
    ex->feed_failure(id, failure ? std::move(*failure) : salient::effect_failure{});
  } else if (op == "cancel") {
    ex->cancel();
  } else {
    return fail("unknown op");
  }
  drain(inst, h);
}

}  // namespace

int main() {
  salient::instance inst(salient_function_entry());
  std::string line;
  std::size_t line_no = 0;
  static char buf[65536];  // static: the wasm stack is small (see functions/CMakeLists.txt)
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
    for (std::size_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        line.push_back(buf[i]);
        continue;
      }
      ++line_no;
      if (!line.empty()) handle_line(inst, line, line_no);
      line.clear();
    }
  }
  if (!line.empty()) handle_line(inst, line, ++line_no);
  std::fflush(stdout);
  return 0;
}
