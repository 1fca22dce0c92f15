#include "knowledge/sources.h"

#include <algorithm>
#include <cstdio>

namespace salient {

bool safe_link_url(std::string_view url) {
  if (url.size() >= 1 && url[0] == '/' && (url.size() < 2 || (url[1] != '/' && url[1] != '\\'))) return true;
  auto lower_starts = [&](std::string_view prefix) {
    if (url.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
      if (static_cast<char>(url[i] | 0x20) != prefix[i] && url[i] != prefix[i]) return false;
    return true;
  };
  return lower_starts("https://") || lower_starts("http://");
}


std::string sources_prompt(const std::vector<source>& sources) {
  if (sources.empty()) return {};
  std::string p =
      "Sources: passages from the business's own pages, numbered. Answer from them when they are relevant, and "
      "cite each one you use as [n] (for example [1]) right after the sentence it supports. If they do not answer "
      "the question, say so plainly and offer to put the visitor in touch with the team; never invent prices, "
      "dates, availability or promises that the sources do not state.\n";
  for (const source& s : sources) {
    p += "\n[" + std::to_string(s.n) + "] " + s.title;
    if (!s.heading.empty()) p += " — " + s.heading;
    p += "\n";
    p += s.text;
    p += "\n";
  }
  return p;
}

std::vector<int> cited_numbers(std::string_view answer, std::size_t count) {
  std::vector<int> out;
  if (count == 0) return out;  // no passages: nothing to cite, and no need to read a long answer
  for (std::size_t i = answer.find('['); i < answer.size(); i = answer.find('[', i + 1)) {
    // [n] or [n, m, …]: digits separated by commas and spaces, closed by ']'.
    std::vector<int> found;
    std::size_t j = i + 1;
    bool ok = false;
    while (j < answer.size()) {
      std::size_t start = j;
      int n = 0;
      while (j < answer.size() && answer[j] >= '0' && answer[j] <= '9' && j - start < 3) n = n * 10 + (answer[j++] - '0');
      if (j == start) break;
      found.push_back(n);
      while (j < answer.size() && answer[j] == ' ') ++j;
      if (j < answer.size() && answer[j] == ']') {
        ok = true;
        break;
      }
      if (j < answer.size() && answer[j] == ',') {
        ++j;
        while (j < answer.size() && answer[j] == ' ') ++j;
        continue;
      }
      break;
    }
    if (!ok) continue;
    for (int n : found)
      if (n >= 1 && static_cast<std::size_t>(n) <= count && std::find(out.begin(), out.end(), n) == out.end())
        out.push_back(n);
    i = j;
  }
  return out;
}

std::string snippet_of(std::string_view text, std::size_t max_bytes) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n')) text.remove_prefix(1);
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
  std::size_t space = text.substr(0, cut).find_last_of(" \n");
  if (space != std::string_view::npos && space > max_bytes / 2) cut = space;
  std::string out(text.substr(0, cut));
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n' || out.back() == ',' || out.back() == '.')) out.pop_back();
  return out + "…";
}

detail::json citations_json(const std::vector<source>& sources, const std::vector<int>& numbers) {
  detail::json list = detail::json::array();
  for (int n : numbers) {
    if (n < 1 || static_cast<std::size_t>(n) > sources.size()) continue;
    const source& s = sources[static_cast<std::size_t>(n) - 1];
    list.push_back({{"n", s.n},
                    {"title", s.title},
                    {"heading", s.heading},
                    {"url", safe_link_url(s.url) ? s.url : std::string()},
                    {"source", s.path},
                    {"score", static_cast<double>(static_cast<int>(s.score * 1000 + 0.5)) / 1000},
                    {"rank", s.rank},
                    {"snippet", snippet_of(s.text)}});
  }
  return list;
}

}  // namespace salient
