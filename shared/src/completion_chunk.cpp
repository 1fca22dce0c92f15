#include "salient/completion_chunk.h"

#include <cstdint>
#include <cstring>

#include "salient/http.h"

namespace salient {
namespace {

/// A forward-only cursor over one JSON text. Every method returns false on malformed input;
/// skipping is structural (strings, nesting) rather than a full validation, which the DOM
/// parser does for the chunks that matter beyond their content.
class cursor {
 public:
  explicit cursor(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

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

  /// From just inside a string to just past its closing quote. memchr finds the candidate
  /// quote; it closes the string unless an odd run of backslashes precedes it.
  bool past_string() {
    for (;;) {
      const void* q = std::memchr(p_, '"', static_cast<std::size_t>(end_ - p_));
      if (!q) return false;
      const char* quote = static_cast<const char*>(q);
      std::size_t slashes = 0;
      while (quote - static_cast<std::ptrdiff_t>(slashes) > p_ && quote[-1 - static_cast<std::ptrdiff_t>(slashes)] == '\\') ++slashes;
      p_ = quote + 1;
      if (slashes % 2 == 0) return true;
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
      if (p_ == end_) return false;
      unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') break;
      if (c < 0x20) return false;
      if (c != '\\') {
        ++p_;
        continue;
      }
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

  const char* p_;
  const char* end_;
};

/// choices[0]: its delta's content appended; false when malformed. `cold` is set for a
/// non-null finish_reason.
bool first_choice(cursor& c, std::string& text, bool& cold) {
  if (!c.eat('{')) return false;
  if (c.eat('}')) return true;
  bool seen_delta = false;
  do {
    std::string_view k;
    if (!c.key(k)) return false;
    if (k == "delta") {
      // A repeated key: a DOM parser keeps the last one; let it decide.
      if (seen_delta) cold = true;
      seen_delta = true;
      if (c.null_literal()) continue;
      if (!c.eat('{')) return false;
      if (c.eat('}')) continue;
      bool seen_content = false;
      do {
        std::string_view dk;
        if (!c.key(dk)) return false;
        if (dk == "content") {
          if (seen_content) cold = true;
          seen_content = true;
          if (c.null_literal()) continue;
          if (!c.peek('"')) return false;
          std::size_t before = text.size();
          if (!c.string_value(text)) return false;
          if (!is_valid_utf8(std::string_view(text).substr(before))) return false;
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
  return c.eat('}');
}

}  // namespace

chunk_kind scan_completion_chunk(std::string_view data, std::string& text) {
  if (std::size_t start = data.find_first_not_of(" \t\r\n"); start != std::string_view::npos &&
      data.substr(start, data.find_last_not_of(" \t\r\n") + 1 - start) == "[DONE]")
    return chunk_kind::done;
  std::size_t original = text.size();
  auto fail = [&](chunk_kind k) {
    text.resize(original);
    return k;
  };
  cursor c(data);
  if (!c.eat('{')) return fail(chunk_kind::malformed);
  bool cold = false;
  bool seen_choices = false;
  if (!c.eat('}')) {
    do {
      std::string_view k;
      if (!c.key(k)) return fail(chunk_kind::malformed);
      if (k == "choices") {
        if (seen_choices) cold = true;
        seen_choices = true;
        if (!c.eat('[')) {
          if (!c.null_literal()) return fail(chunk_kind::malformed);
          continue;
        }
        if (c.eat(']')) continue;
        if (!first_choice(c, text, cold)) return fail(chunk_kind::malformed);
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
  if (!c.at_end()) return fail(chunk_kind::malformed);
  if (cold) return fail(chunk_kind::needs_dom);
  return chunk_kind::delta;
}

}  // namespace salient
