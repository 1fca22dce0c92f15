#include "flows/retrieval.h"

#include "salient/knowledge/knowledge.h"

namespace salient {

std::vector<source> retrieve_local(const function_context& ctx, std::string_view question,
                                   const std::vector<history_message>& history) {
  std::vector<source> out;
  const knowledge_index& ix = ctx.knowledge;
  if (!ctx.cfg.rag.enabled || ix.empty()) return out;
  std::string query(question);
  std::vector<std::string> terms;
  knowledge_terms(question, terms);
  if (terms.size() < 3) {
    // A short follow-up leans on what was asked before it.
    for (auto it = history.rbegin(); it != history.rend(); ++it)
      if (it->role == "user") {
        query += ' ';
        query += it->content;
        break;
      }
  }
  auto hits = ix.search(query, static_cast<std::size_t>(ctx.cfg.rag.top_k));
  for (const auto& h : hits) {
    if (!out.empty() && h.score < hits.front().score / 3) break;
    auto c = ix.chunk(h.chunk);
    source s;
    s.n = static_cast<int>(out.size()) + 1;
    s.rank = s.n;
    s.path = c.source;
    s.title = c.title;
    // The heading path usually starts with the page's own title (its h1): shown after the
    // title, that would say it twice.
    std::string_view heading = c.heading;
    if (heading == c.title) heading = {};
    else if (heading.size() > c.title.size() && heading.substr(0, c.title.size()) == c.title &&
             heading.substr(c.title.size()).starts_with(" › "))
      heading.remove_prefix(c.title.size() + std::string_view(" › ").size());
    s.heading = heading;
    s.url = c.url;
    s.text = c.text;
    s.score = h.score;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace salient
