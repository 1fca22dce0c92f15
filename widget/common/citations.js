// Citations: the "[n]" markers in a rendered answer, linked to the sources listed under it. ONE
// linker for the widget's pane, the full-page chat and the side-by-side page; each says what a
// link is (`makeLink`): the pages use anchors to list items (`#id`), the widget buttons that
// move focus (a fragment link cannot reach into its shadow root).
//
// Only text nodes are split, and each marker goes in as textContent: the answer's HTML (already
// sanitized by the core) is never re-parsed. Markers inside links, buttons and code stay text.

const MARKER = /(\[\d{1,3}\])/;
const NUMBER = /^\[(\d{1,3})\]$/;

/** Wraps each "[n]" under `root` whose n is a key of `known` in `makeLink(n, marker)`. */
export function linkCitations(root, known, makeLink) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) {
    if (!walker.currentNode.parentNode.closest("a, button, code, pre")) nodes.push(walker.currentNode);
  }
  for (const node of nodes) {
    const parts = node.data.split(MARKER);
    if (parts.length === 1) continue;
    const fragment = document.createDocumentFragment();
    for (const part of parts) {
      const n = NUMBER.exec(part);
      if (n && known[n[1]]) fragment.appendChild(makeLink(n[1], part));
      else if (part) fragment.appendChild(document.createTextNode(part));
    }
    node.parentNode.replaceChild(fragment, node);
  }
}

/** The pages' link: an anchor to the element with id `prefix + n`. */
export function anchorTo(prefix) {
  return (n, marker) => {
    const a = document.createElement("a");
    a.href = "#" + prefix + n;
    a.className = "cite";
    a.setAttribute("aria-label", "source " + n);
    a.textContent = marker;
    return a;
  };
}

/**
 * A sources list in the server's markup (li[data-n] items in ol.sources, as the html-format
 * `citations` event and the history send it): gives its items ids under `prefix` (many answers
 * share a page) and links the markers in `text` to them. Returns whether there were any.
 */
export function linkToList(text, list, prefix) {
  const known = {};
  for (const item of list.querySelectorAll("li[data-n]")) {
    const n = item.getAttribute("data-n");
    item.id = prefix + n;
    known[n] = true;
  }
  const any = Object.keys(known).length > 0;
  if (any) linkCitations(text, known, anchorTo(prefix));
  return any;
}

/**
 * The server's sources list built from citations JSON ([{n, title, url, heading, rank, score,
 * snippet}], the json-format `citations` event), for the pages that read JSON: the same markup as
 * the html-format event, so one stylesheet and linkToList serve both. Null when none is usable.
 */
export function sourcesList(citations) {
  const list = document.createElement("ol");
  list.className = "sources";
  list.setAttribute("aria-label", "Sources");
  for (const c of citations) {
    if (!c || !Number.isInteger(c.n) || c.n < 1 || c.n > 999) continue;
    const item = document.createElement("li");
    item.value = c.n;
    item.setAttribute("data-n", String(c.n));
    const title = typeof c.title === "string" ? c.title : "";
    const href = pageUrl(c.url);
    const link = document.createElement(href ? "a" : "span");
    if (href) {
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    }
    link.textContent = title;
    item.appendChild(link);
    if (typeof c.heading === "string" && c.heading) {
      const heading = document.createElement("span");
      heading.className = "source-heading";
      heading.textContent = c.heading;
      item.append(" ", heading);
    }
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    const score = typeof c.score === "number" ? c.score : 0;
    summary.textContent = "match " + (Number.isInteger(c.rank) ? c.rank : 0) + " · score " + score.toFixed(2);
    const snippet = document.createElement("p");
    snippet.textContent = typeof c.snippet === "string" ? c.snippet : "";
    details.append(summary, snippet);
    item.appendChild(details);
    list.appendChild(item);
  }
  return list.children.length ? list : null;
}

/** A link a visitor may follow from a page: a path on this site, or http(s). Else null. */
function pageUrl(url) {
  if (typeof url !== "string") return null;
  return /^\/(?![/\\])/.test(url) || /^https?:\/\//i.test(url) ? url : null;
}
