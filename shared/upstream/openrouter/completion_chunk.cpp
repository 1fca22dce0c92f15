#include "salient/upstream/openrouter/completion_chunk.h"

#include <cstdint>
#include <cstring>

#include "salient/core/detail/byte_scan.h"
#include "salient/core/http.h"

namespace salient {
namespace {

/// A forward-only cursor over one JSON text. Every method returns false on malformed input;
/// skipping is structural (strings, nesting) rather than a full validation, which the DOM
/// parser does for the chunks that matter beyond their content.
class cursor {
 public:
  explicit cursor(std::string_view s) : begin_(s.data()), p_(s.data()), end_(s.data() + s.size()) {}

  std::size_t position() const { return static_cast<std::size_t>(p_ - begin_); }

  void ws() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool at_end() {
    ws();
    return p_ == end_;
  }
  bool eat(char c) {
    ws();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool peek(char c) {
    ws();
    return p_ != end_ && *p_ == c;
  }
  bool null_literal() {
    ws();
    if (end_ - p_ >= 4 && std::string_view(p_, 4) == "null") {
      p_ += 4;
      return true;
    }
    return false;
  }

  /// A key: compared raw (our keys have no escapes; an escaped key just never matches).
  bool key(std::string_view& out) {
    if (!eat('"')) return false;
    const char* start = p_;
    if (!past_string()) return false;
    out = std::string_view(start, static_cast<std::size_t>(p_ - 1 - start));
    return eat(':');
  }

  /// From just inside a string to just past its closing quote: the next `"` or `\\`, 16 bytes
  /// at a time; a backslash takes the byte after it along (escapes are checked by the DOM
  /// parser, for the chunks that matter beyond their content).
  bool past_string() {
    for (;;) {
      const char* stop = detail::find_either(p_, end_, '"', '\\');
      if (stop == end_) return false;
      if (*stop == '"') {
        p_ = stop + 1;
        return true;
      }
      if (end_ - stop < 2) return false;
      p_ = stop + 2;
    }
  }

  /// Any value, skipped: strings honour escapes, brackets are counted.
  bool skip_value() {
    ws();
    if (p_ == end_) return false;
    int depth = 0;
    do {
      if (p_ == end_) return false;
      char c = *p_++;
      if (c == '"') {
        if (!past_string()) return false;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth < 0) return false;
      } else if (depth == 0) {
        // a scalar at the top (number, true, false, null): runs to the next delimiter
        if (!((c >= '0' && c <= '9') || c == '-' || c == 't' || c == 'f' || c == 'n')) return false;
        while (p_ != end_ && *p_ != ',' && *p_ != '}' && *p_ != ']' && *p_ != ' ' && *p_ != '\n' &&
               *p_ != '\r' && *p_ != '\t')
          ++p_;
      }
    } while (depth > 0);
    return true;
  }

  /// A string value, unescaped and appended to `out`.
  bool string_value(std::string& out) {
    if (!eat('"')) return false;
    const char* run = p_;
    while (true) {
      p_ = detail::find_json_string_stop(p_, end_);
      if (p_ == end_) return false;
      unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') break;
      if (c < 0x20) return false;
      out.append(run, p_);
      if (++p_ == end_) return false;
      char e = *p_++;
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          std::uint32_t cp;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            std::uint32_t low;
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
            p_ += 2;
            if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          append_utf8(out, cp);
          break;
        }
        default: return false;
      }
      run = p_;
    }
    out.append(run, p_);
    ++p_;
    return true;
  }

 private:
  bool hex4(std::uint32_t& v) {
    if (end_ - p_ < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = *p_++;
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else return false;
    }
    return true;
  }
  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  const char* begin_;
  const char* p_;
  const char* end_;
};

/// Where choices[0].delta.content's string sits in the chunk: from its opening quote to just
/// past its closing one (open == npos: no content string).
struct content_span {
  std::size_t open = std::string_view::npos, close = 0;
};

/// choices[0]: its delta's content appended; false when malformed. `cold` is set for a
/// non-null finish_reason.
bool first_choice(cursor& c, std::string& text, bool& cold, content_span& span) {
  if (!c.eat('{')) return false;
  if (c.eat('}')) return true;
  // A repeated key: a DOM parser keeps the last one, so let it decide. Until then a value of
  // the wrong type is only malformed if nothing may replace it.
  int deltas = 0, contents = 0;
  bool odd_delta = false, odd_content = false;
  do {
    std::string_view k;
    if (!c.key(k)) return false;
    if (k == "delta") {
      if (++deltas > 1) cold = true;
      if (c.null_literal()) continue;
      if (!c.eat('{')) {
        if (!c.skip_value()) return false;
        odd_delta = true;
        continue;
      }
      if (c.eat('}')) continue;
      do {
        std::string_view dk;
        if (!c.key(dk)) return false;
        if (dk == "content") {
          if (++contents > 1) cold = true;
          if (c.null_literal()) continue;
          if (!c.peek('"')) {
            if (!c.skip_value()) return false;
            odd_content = true;
            continue;
          }
          std::size_t before = text.size();
          span.open = c.position();
          if (!c.string_value(text)) return false;
          span.close = c.position();
          const char* added = text.data() + before;
          if (detail::find_non_ascii(added, text.data() + text.size()) != text.data() + text.size() &&
              !is_valid_utf8(std::string_view(text).substr(before)))
            return false;
        } else if (!c.skip_value()) {
          return false;
        }
      } while (c.eat(','));
      if (!c.eat('}')) return false;
    } else if (k == "finish_reason") {
      if (!c.null_literal()) {
        cold = true;
        if (!c.skip_value()) return false;
      }
    } else if (!c.skip_value()) {
      return false;
    }
  } while (c.eat(','));
  if ((odd_delta && deltas == 1) || (odd_content && contents == 1)) return false;
  return c.eat('}');
}

chunk_kind scan(std::string_view data, std::string& text, content_span& span) {
  auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  std::size_t start = 0;
  while (start < data.size() && is_ws(data[start])) ++start;
  if (start < data.size() && data[start] == '[') {
    std::size_t stop = data.size();
    while (stop > start && is_ws(data[stop - 1])) --stop;
    if (data.substr(start, stop - start) == "[DONE]") return chunk_kind::done;
  }
  std::size_t original = text.size();
  auto fail = [&](chunk_kind k) {
    text.resize(original);
    return k;
  };
  cursor c(data);
  if (!c.eat('{')) return fail(chunk_kind::malformed);
  bool cold = false;
  int choices = 0;  // repeated: the DOM decides, as in first_choice
  bool odd_choices = false;
  if (!c.eat('}')) {
    do {
      std::string_view k;
      if (!c.key(k)) return fail(chunk_kind::malformed);
      if (k == "choices") {
        if (++choices > 1) cold = true;
        if (!c.eat('[')) {
          if (c.null_literal()) continue;
          if (!c.skip_value()) return fail(chunk_kind::malformed);
          odd_choices = true;
          continue;
        }
        if (c.eat(']')) continue;
        if (!first_choice(c, text, cold, span)) return fail(chunk_kind::malformed);
        while (c.eat(','))
          if (!c.skip_value()) return fail(chunk_kind::malformed);
        if (!c.eat(']')) return fail(chunk_kind::malformed);
      } else if (k == "error" || k == "usage") {
        if (!c.null_literal()) {
          cold = true;
          if (!c.skip_value()) return fail(chunk_kind::malformed);
        }
      } else if (!c.skip_value()) {
        return fail(chunk_kind::malformed);
      }
    } while (c.eat(','));
    if (!c.eat('}')) return fail(chunk_kind::malformed);
  }
  if (!c.at_end() || (odd_choices && choices == 1)) return fail(chunk_kind::malformed);
  if (cold) return fail(chunk_kind::needs_dom);
  return chunk_kind::delta;
}

/// Reads the content string at the start of `s` (its opening quote) into `text`; the number
/// of bytes it took, or 0 when it is not a well-formed string of valid UTF-8.
std::size_t content_string(std::string_view s, std::string& text) {
  std::size_t before = text.size();
  cursor c(s);
  if (!c.string_value(text)) return 0;
  const char* added = text.data() + before;
  const char* end = text.data() + text.size();
  if (detail::find_non_ascii(added, end) != end && !is_valid_utf8(std::string_view(added, end - added))) return 0;
  return c.position();
}

}  // namespace

chunk_kind scan_completion_chunk(std::string_view data, std::string& text) {
  content_span span;
  return scan(data, text, span);
}

chunk_kind completion_scanner::scan(std::string_view data, std::string& text) {
  const std::size_t before = text.size();
  if (!prefix_.empty() && data.size() > prefix_.size() + suffix_.size() &&
      detail::bytes_equal(data.data(), prefix_.data(), prefix_.size())) {
    std::string_view rest = data.substr(prefix_.size());
    std::size_t took = content_string(rest, text);
    if (took > 0 && rest.size() - took == suffix_.size() &&
        detail::bytes_equal(rest.data() + took, suffix_.data(), suffix_.size()))
      return chunk_kind::delta;
    text.resize(before);
  }
  content_span span;
  chunk_kind kind = salient::scan(data, text, span);
  if (kind == chunk_kind::delta && span.open != std::string_view::npos) {
    prefix_.assign(data.substr(0, span.open));
    suffix_.assign(data.substr(span.close));
  }
  return kind;
}

}  // namespace salient
