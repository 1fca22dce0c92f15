#include "salient/knowledge/knowledge.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>

namespace salient {
namespace {

constexpr std::string_view magic = "SLKI";
constexpr std::uint32_t version = 1;
constexpr std::size_t header_words = 6;  // after the magic: version n_chunks n_terms postings strings_bytes + 1 spare
constexpr std::size_t chunk_words = 11;  // 5 strings × (offset, length) + doc_tokens
constexpr std::size_t term_words = 4;    // (offset, length) first_posting posting_count
constexpr std::size_t posting_words = 2; // chunk tf
constexpr std::uint32_t max_chunks = 1u << 24;

// Words too common to tell passages apart. Short on purpose: a visitor's "how much" and "do
// you" carry no topic, but "open", "near" or "free" may, so they stay.
constexpr std::array<std::string_view, 64> stop_words = {
    "a",     "about", "am",   "an",    "and",  "are",  "as",   "at",   "be",    "been", "but",
    "by",    "can",   "could", "did",  "do",   "does", "for",  "from", "had",   "has",  "have",
    "how",   "i",     "if",   "in",    "is",   "it",   "its",  "me",   "my",    "of",   "on",
    "or",    "our",   "so",   "that",  "the",  "their", "them", "then", "there", "these", "they",
    "this",  "to",    "u",    "us",    "was",  "we",   "were", "what", "when",  "where", "which",
    "who",   "why",   "will", "with",  "would", "you", "your",
};

bool is_stop_word(std::string_view w) {
  return std::find(stop_words.begin(), stop_words.end(), w) != stop_words.end();
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

/// A one-syllable stem ending consonant-vowel-consonant, the last not w, x or y ("hir", "bak",
/// "plac"; not "garden", "open", "show"): Porter's measure m = 1 and *o.
bool ends_short_syllable(std::string_view w) {
  if (w.size() < 3) return false;
  int m = 0;
  bool prev_vowel = false;
  for (char c : w) {
    bool v = is_vowel(c);
    if (prev_vowel && !v) ++m;
    prev_vowel = v;
  }
  char a = w[w.size() - 3], b = w[w.size() - 2], c = w.back();
  return m == 1 && !is_vowel(a) && is_vowel(b) && !is_vowel(c) && c != 'w' && c != 'x' && c != 'y';
}

/// Light suffix stripping for English ASCII words: plurals and the common verb endings, only
/// when enough of the word is left that the stem still says something.
void stem(std::string& w) {
  if (w.size() <= 3 || static_cast<unsigned char>(w.back()) >= 0x80) return;
  if (ends_with(w, "ies") && w.size() > 4) {
    w.replace(w.size() - 3, 3, "y");
  } else if (ends_with(w, "sses") || ends_with(w, "shes") || ends_with(w, "ches") || ends_with(w, "xes") ||
             ends_with(w, "zes")) {
    w.resize(w.size() - 2);
  } else if (w.back() == 's' && !ends_with(w, "ss") && !ends_with(w, "us") && !ends_with(w, "is")) {
    w.pop_back();
  }
  auto strip = [&](std::string_view suffix) {
    if (!ends_with(w, suffix) || w.size() - suffix.size() < 3) return false;
    std::string_view rest(w.data(), w.size() - suffix.size());
    if (std::none_of(rest.begin(), rest.end(), is_vowel)) return false;  // "sing", "bed"
    w.resize(rest.size());
    // A doubled final consonant left by the suffix ("planning" → "plann" → "plan").
    if (w.size() >= 3 && w.back() == w[w.size() - 2] && !is_vowel(w.back()) && w.back() != 'l' && w.back() != 's' &&
        w.back() != 'z') {
      w.pop_back();
    } else if (ends_short_syllable(w)) {
      // The silent e the suffix took ("hiring" → "hir" → "hire", "baked" → "bake"), so the
      // word meets its base form; Porter's step 1b rule for one-syllable stems.
      w.push_back('e');
    }
    return true;
  };
  if (!strip("ing")) strip("ed");
}

void put_u32(std::string& out, std::uint32_t v) {
  char b[4] = {static_cast<char>(v & 0xFF), static_cast<char>((v >> 8) & 0xFF), static_cast<char>((v >> 16) & 0xFF),
               static_cast<char>((v >> 24) & 0xFF)};
  out.append(b, 4);
}

error corrupt(std::string what) {
  return make_error(errc::misconfigured, "the knowledge index is unreadable (" + what + "): run `salient ingest` again");
}

}  // namespace

void knowledge_terms(std::string_view text, std::vector<std::string>& out) {
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    if (!is_stop_word(word)) {
      stem(word);
      out.push_back(word);
    }
    word.clear();
  };
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 'A' && c <= 'Z') word.push_back(static_cast<char>(c - 'A' + 'a'));
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) word.push_back(ch);
    else if (c == '\'' && !word.empty()) continue;  // "don't" → "dont", "visitor's" → "visitors"
    else flush();
  }
  flush();
}

std::string build_knowledge_index(const std::vector<knowledge_chunk>& chunks) {
  std::size_t n = std::min<std::size_t>(chunks.size(), max_chunks);
  // term → [(chunk, tf)], in chunk order because chunks are visited in order
  std::map<std::string, std::vector<std::pair<std::uint32_t, std::uint32_t>>> postings;
  std::vector<std::uint32_t> doc_tokens(n);
  std::vector<std::string> terms;
  for (std::uint32_t i = 0; i < n; ++i) {
    const knowledge_chunk& c = chunks[i];
    terms.clear();
    knowledge_terms(c.title, terms);
    knowledge_terms(c.heading, terms);
    knowledge_terms(c.text, terms);
    doc_tokens[i] = static_cast<std::uint32_t>(terms.size());
    std::sort(terms.begin(), terms.end());
    for (std::size_t j = 0; j < terms.size();) {
      std::size_t k = j;
      while (k < terms.size() && terms[k] == terms[j]) ++k;
      postings[terms[j]].emplace_back(i, static_cast<std::uint32_t>(k - j));
      j = k;
    }
  }

  std::string strings;
  auto add_string = [&](std::string& table, std::string_view s) {
    put_u32(table, static_cast<std::uint32_t>(strings.size()));
    put_u32(table, static_cast<std::uint32_t>(s.size()));
    strings.append(s);
  };
  std::string chunk_table, term_table, posting_table;
  for (std::uint32_t i = 0; i < n; ++i) {
    const knowledge_chunk& c = chunks[i];
    for (std::string_view s : {std::string_view(c.source), std::string_view(c.title), std::string_view(c.heading),
                               std::string_view(c.url), std::string_view(c.text)})
      add_string(chunk_table, s);
    put_u32(chunk_table, doc_tokens[i]);
  }
  std::uint32_t total = 0;
  for (const auto& [term, list] : postings) {  // std::map: sorted by bytes, as search expects
    add_string(term_table, term);
    put_u32(term_table, total);
    put_u32(term_table, static_cast<std::uint32_t>(list.size()));
    for (auto [chunk, tf] : list) {
      put_u32(posting_table, chunk);
      put_u32(posting_table, tf);
    }
    total += static_cast<std::uint32_t>(list.size());
  }

  std::string out(magic);
  put_u32(out, version);
  put_u32(out, static_cast<std::uint32_t>(n));
  put_u32(out, static_cast<std::uint32_t>(postings.size()));
  put_u32(out, total);
  put_u32(out, static_cast<std::uint32_t>(strings.size()));
  put_u32(out, 0);  // spare
  out += chunk_table;
  out += term_table;
  out += posting_table;
  out += strings;
  return out;
}

std::uint32_t knowledge_index::u32(std::size_t at) const {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes_.data() + at);
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

std::string_view knowledge_index::str(std::size_t at) const {
  return std::string_view(bytes_).substr(strings_at_ + u32(at), u32(at + 4));
}

result<knowledge_index> knowledge_index::load(std::string bytes) {
  knowledge_index ix;
  ix.bytes_ = std::move(bytes);
  const std::size_t size = ix.bytes_.size();
  std::size_t head = magic.size() + 4 * header_words;
  if (size < head || std::string_view(ix.bytes_).substr(0, magic.size()) != magic) return corrupt("not an index file");
  if (ix.u32(4) != version) return corrupt("version " + std::to_string(ix.u32(4)) + ", expected " + std::to_string(version));
  ix.n_chunks_ = ix.u32(8);
  ix.n_terms_ = ix.u32(12);
  ix.n_postings_ = ix.u32(16);
  std::uint64_t strings_bytes = ix.u32(20);
  if (ix.n_chunks_ > max_chunks) return corrupt("too many chunks");
  // 64-bit sums: the counts come from the file and must not wrap around.
  std::uint64_t need = head + 4ull * chunk_words * ix.n_chunks_ + 4ull * term_words * ix.n_terms_ +
                       4ull * posting_words * ix.n_postings_ + strings_bytes;
  if (need != size) return corrupt("sizes do not add up");
  ix.chunks_at_ = head;
  ix.terms_at_ = ix.chunks_at_ + 4 * chunk_words * static_cast<std::size_t>(ix.n_chunks_);
  ix.postings_at_ = ix.terms_at_ + 4 * term_words * static_cast<std::size_t>(ix.n_terms_);
  ix.strings_at_ = ix.postings_at_ + 4 * posting_words * static_cast<std::size_t>(ix.n_postings_);

  auto string_ok = [&](std::size_t at) {
    std::uint64_t off = ix.u32(at), len = ix.u32(at + 4);
    return off + len <= strings_bytes;
  };
  std::uint64_t tokens = 0;
  for (std::uint32_t i = 0; i < ix.n_chunks_; ++i) {
    std::size_t at = ix.chunks_at_ + 4 * chunk_words * i;
    for (std::size_t s = 0; s < 5; ++s)
      if (!string_ok(at + 8 * s)) return corrupt("chunk " + std::to_string(i) + " points outside the file");
    tokens += ix.u32(at + 40);
  }
  std::string_view previous;
  std::uint64_t expected_first = 0;
  for (std::uint32_t t = 0; t < ix.n_terms_; ++t) {
    std::size_t at = ix.terms_at_ + 4 * term_words * t;
    if (!string_ok(at)) return corrupt("term " + std::to_string(t) + " points outside the file");
    std::string_view term = ix.str(at);
    if (t > 0 && !(previous < term)) return corrupt("terms out of order");
    previous = term;
    // Postings are laid out term after term, so each list starts where the last one ended.
    if (ix.u32(at + 8) != expected_first) return corrupt("postings out of place");
    expected_first += ix.u32(at + 12);
  }
  if (expected_first != ix.n_postings_) return corrupt("postings do not add up");
  for (std::uint32_t p = 0; p < ix.n_postings_; ++p)
    if (ix.u32(ix.postings_at_ + 8 * static_cast<std::size_t>(p)) >= ix.n_chunks_) return corrupt("a posting names no chunk");
  ix.avg_tokens_ = ix.n_chunks_ ? static_cast<float>(static_cast<double>(tokens) / ix.n_chunks_) : 0.f;
  return ix;
}

knowledge_index::chunk_view knowledge_index::chunk(std::uint32_t i) const {
  if (i >= n_chunks_) return {};
  std::size_t at = chunks_at_ + 4 * chunk_words * static_cast<std::size_t>(i);
  return {str(at), str(at + 8), str(at + 16), str(at + 24), str(at + 32)};
}

std::vector<knowledge_index::hit> knowledge_index::search(std::string_view query, std::size_t k) const {
  std::vector<hit> out;
  if (n_chunks_ == 0 || k == 0) return out;
  std::vector<std::string> terms;
  knowledge_terms(query, terms);
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());  // a repeated word counts once

  constexpr float k1 = 1.2f, b = 0.75f;
  std::vector<float> score(n_chunks_, 0.f);
  const float n = static_cast<float>(n_chunks_);
  for (const std::string& term : terms) {
    // Binary search in the sorted term table.
    std::uint32_t lo = 0, hi = n_terms_;
    while (lo < hi) {
      std::uint32_t mid = lo + (hi - lo) / 2;
      if (str(terms_at_ + 4 * term_words * static_cast<std::size_t>(mid)) < term) lo = mid + 1;
      else hi = mid;
    }
    if (lo == n_terms_) continue;
    std::size_t at = terms_at_ + 4 * term_words * static_cast<std::size_t>(lo);
    if (str(at) != term) continue;
    std::uint32_t first = u32(at + 8), count = u32(at + 12);
    float df = static_cast<float>(count);
    float idf = std::log(1.f + (n - df + 0.5f) / (df + 0.5f));
    for (std::uint32_t p = first; p < first + count; ++p) {
      std::size_t pat = postings_at_ + 8 * static_cast<std::size_t>(p);
      std::uint32_t chunk = u32(pat);
      float tf = static_cast<float>(u32(pat + 4));
      float len = static_cast<float>(u32(chunks_at_ + 4 * chunk_words * static_cast<std::size_t>(chunk) + 40));
      float norm = avg_tokens_ > 0 ? len / avg_tokens_ : 1.f;
      score[chunk] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * norm));
    }
  }
  for (std::uint32_t i = 0; i < n_chunks_; ++i)
    if (score[i] > 0) out.push_back({i, score[i]});
  auto better = [](const hit& x, const hit& y) { return x.score > y.score || (x.score == y.score && x.chunk < y.chunk); };
  if (out.size() > k) {
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(k), out.end(), better);
    out.resize(k);
  } else {
    std::sort(out.begin(), out.end(), better);
  }
  return out;
}

}  // namespace salient
