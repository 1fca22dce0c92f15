#pragma once
// The system prompt's canary, and the filter that keeps it from the visitor.
//
// Theory of operation
// -------------------
// Every model request carries, in its system prompt, a per-deployment marker (canary_for: an
// HMAC of SALIENT_STREAM_SECRET, so it is stable across instances and unguessable) with a line
// saying the marker and the instructions are confidential. A model talked into repeating its
// instructions repeats the marker too; the filter sees it in the answer's text before any of
// it reaches the visitor, and the stream stops there (llm_answer.cpp sends a fixed refusal in
// place of the rest and cancels the upstream call).
//
// The filter is sans-IO: feed() takes the model's text as it arrives and returns the part that
// is safe to send now; finish() returns the rest at the end. It holds back only what could
// still become the canary: the bytes from the start of the longest partial match to the end,
// plus an incomplete UTF-8 character. It looks for two things: the whole marker, and its 16
// secret characters on their own ("print it without the prefix"). 16 given base32 characters
// in a row do not occur by chance, and a partial match of them holds text back only while it
// spells the secret's beginning. The match ignores ASCII case, reads fullwidth forms and
// Cyrillic/Greek lookalike letters as the Latin ones, and skips, between any two letters:
//  - visible separators (whitespace, no-break space, '-', '_'): at most max_gap_bytes of them
//    in a row, so a long run of spaces releases what was held;
//  - invisible characters (zero-width space/joiners, direction marks and isolates, word joiner,
//    BOM, soft hyphen, combining grapheme joiner, Mongolian vowel separator, tag characters):
//    any number, as the text looks the same with 1 or 100 of them. What keeps the hold-back
//    bounded is max_held_bytes: a partial match spanning more bytes than that is given up (its
//    bytes released) or, if it already leaks (below), blocked.
// So "SALIENT CANARY …", "s\u200Ba\u200Bl…", "ѕаlіеnt…" and a marker split over many tokens
// are all caught; an encoded one (base64, reversed, translated) or a piece of the secret that
// does not start at its first character is not (docs: known limits).
//
// A partial match that leaks is blocked whether the answer ends there or other text breaks it
// (the same rule at both places): the marker's tag and at least min_secret_letters of its
// secret characters, or at least min_bare_secret_letters of the secret on its own (more,
// because without the tag a few letters could be an ordinary word). The tag alone is no secret
// (it is in the source code) and goes out.
//
//   canary_filter f(canary_for(secret));
//   for each piece of model text: send(f.feed(piece)); if (f.blocked()) { send refusal; stop; }
//   at the end: send(f.finish()); if (f.blocked()) send refusal;
//
// What was sent is always whole UTF-8 characters, so the stream's `<n>-<bytes>` ids stay
// positions in the stored answer (which is what was sent, plus the refusal when blocked).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace salient {

/// "salient-canary-" and 16 lower-case base32 characters (80 bits of HMAC-SHA256 keyed with
/// `secret`): the same for every instance of a deployment, unknown without its secret.
std::string canary_for(std::string_view secret);

/// The system prompt's closing paragraph: the canary, the confidentiality of the instructions,
/// untrusted text as data, and what the assistant cannot do by itself.
std::string canary_prompt(std::string_view canary);

/// What the visitor sees in place of an answer that would have revealed the canary.
inline constexpr std::string_view canary_refusal =
    "Sorry, I can't share that. I'm happy to help with questions about our products and services.";

class canary_filter {
 public:
  /// At most this many visible separator bytes (whitespace, '-', '_') between two letters.
  static constexpr std::size_t max_gap_bytes = 24;
  /// At most this many bytes from a partial match's first letter on are held back.
  static constexpr std::size_t max_held_bytes = 4096;
  /// A partial match with the tag and this many secret characters leaks (blocked at its end).
  static constexpr std::size_t min_secret_letters = 4;
  /// A partial match of the secret alone with this many characters leaks.
  static constexpr std::size_t min_bare_secret_letters = 8;

  explicit canary_filter(std::string_view canary);

  /// Takes the next piece of text; returns what may be sent now (valid until the next call).
  /// Once blocked, returns nothing more.
  std::string_view feed(std::string_view text);
  /// The end of the text: what is still held back, unless it is a partial match that leaks
  /// (then blocked() becomes true and nothing is returned).
  std::string_view finish();
  /// True once the canary was seen: nothing from its first letter on was or will be returned.
  bool blocked() const { return blocked_; }
  /// Bytes held back right now (for tests: a clean answer's are few and released by finish()).
  std::size_t held() const { return held_.size(); }

 private:
  /// One pattern searched for (KMP): its letters, failure function, and current partial match.
  struct matcher {
    std::string pattern;
    std::vector<std::size_t> fail;
    std::size_t matched = 0;
    void init(std::string p);
    void step(char c);
  };

  void scan();
  void reset_match();
  void drop_held();
  bool leaks() const;
  std::size_t longest() const;
  std::size_t match_start() const;
  void block();
  void break_match();
  void check_held_bound();
  std::string_view release(std::size_t upto);

  matcher full_;                   // the canary's letters and digits, lower case
  matcher bare_;                   // its secret part alone (empty for a marker without the tag)
  std::size_t secret_from_ = 0;    // full_ letters before the secret part ("salientcanary")
  std::string held_;               // not yet returned
  std::size_t scanned_ = 0;        // bytes of held_ already matched
  std::vector<std::size_t> at_;    // offsets in held_ of the current run's last letters (≤ pattern size)
  std::size_t gap_ = 0;            // visible separator bytes since the last letter
  std::size_t block_at_ = 0;       // once blocked: offset in held_ of the blocked match's first letter
  bool blocked_ = false;
  std::string out_;
};

}  // namespace salient
