// Answers on the full-page chat are markdown, rendered by the widget's WASM core (widget/core:
// md4c and our sanitizer), the same renderer as the widget, so both show an answer alike.
// Streamed tokens go through its incremental renderer: complete blocks are appended once, the
// unfinished rest is replaced. Until the core has loaded, and if it cannot load, the text is
// shown as it came (as text, never as HTML).

import { scrollDown } from "./dom.js";

// Served beside the widget; imported by URL when the first answer needs it (a name, not a
// literal, so the bundler leaves the import to the browser).
const CORE_URL = "/widget/widget-core-api.js";

/** The text of an html-format token: the inverse of the server's escape_html, which writes
 *  exactly these five references. (An HTML parser would drop leading spaces.) */
const ESCAPED = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };
export function unescapeHtml(html) {
  return html.replace(/&(?:amp|lt|gt|quot|#39);/g, (ref) => ESCAPED[ref]);
}

/**
 * ctx.markdown: { core(), append(text, delta), finish(text), isRendering(text), stopAll(),
 * renderStored(root), render(text, markdown, allowBasicHtml) } over the page's shared state `ctx`;
 * `onFinished(text)` runs once a streamed answer is complete.
 */
export function installMarkdown(ctx, onFinished) {
  let corePromise = null;
  const rendering = new Map(); // .text element → { renderer, done, tail, queue } while streaming
  const options = () => ({ allowBasicHtml: ctx.allowBasicHtml });

  function core() {
    corePromise = corePromise || import(CORE_URL)
      .then((module) => module.loadWidgetCore())
      .catch(() => null);
    return corePromise;
  }

  function append(text, delta) {
    let state = rendering.get(text);
    if (!state) {
      state = { renderer: null, queue: [], done: document.createElement("div"), tail: document.createElement("div") };
      state.tail.className = "md-tail";
      text.replaceChildren(state.done, state.tail);
      rendering.set(text, state);
      core().then((c) => {
        if (rendering.get(text) !== state) return; // another conversation is shown now
        if (c) state.renderer = c.createRenderer(options());
        const queued = state.queue;
        state.queue = null;
        queued.forEach((d) => feed(state, d));
        if (state.finishWanted) finish(text);
      });
    }
    if (state.queue) state.queue.push(delta);
    else feed(state, delta);
    scrollDown(ctx.messages);
  }

  function feed(state, delta) {
    if (!state.renderer) {
      state.tail.appendChild(document.createTextNode(delta)); // no core: plain text, still escaped
      return;
    }
    paint(state, state.renderer.append(delta));
  }

  function paint(state, out) {
    if (out.commit) state.done.insertAdjacentHTML("beforeend", out.commit); // sanitized by the core
    state.tail.innerHTML = out.tail;
  }

  function finish(text) {
    const state = rendering.get(text);
    if (!state) return;
    if (state.queue) {
      state.finishWanted = true; // the core is still loading
      return;
    }
    if (state.renderer) {
      paint(state, state.renderer.finish());
      state.renderer.free();
    }
    rendering.delete(text);
    onFinished(text);
  }

  /** Forgets every answer being rendered: the pane is being emptied. */
  function stopAll() {
    rendering.forEach((state) => {
      if (state.renderer) state.renderer.free();
    });
    rendering.clear();
  }

  /** A whole answer at once into `text` (as text when the core cannot load). */
  function render(text, markdown, allowBasicHtml) {
    return core().then((c) => {
      if (c) text.innerHTML = c.renderMarkdown(markdown, { allowBasicHtml: allowBasicHtml });
      else text.textContent = markdown;
    });
  }

  /** Renders the stored answers and team replies under `root` (server-escaped text) as markdown. */
  function renderStored(root) {
    const texts = root.querySelectorAll(".msg.assistant .text.md, .msg.team .text.md");
    if (!texts.length) return Promise.resolve();
    return core().then((c) => {
      if (!c) return;
      texts.forEach((text) => {
        text.innerHTML = c.renderMarkdown(text.textContent, options());
      });
    });
  }

  // Code blocks come with a Copy button (the core writes it; this gives it its behaviour).
  ctx.messages.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    const block = button.closest(".code");
    const code = block && block.querySelector("code");
    const done = (ok) => {
      button.textContent = ok ? "Copied" : "Copy failed";
      setTimeout(() => (button.textContent = "Copy"), 1500);
    };
    if (!code || !navigator.clipboard) return done(false);
    navigator.clipboard.writeText(code.textContent).then(() => done(true), () => done(false));
  });

  ctx.markdown = {
    core: core,
    append: append,
    finish: finish,
    isRendering: (text) => rendering.has(text),
    stopAll: stopAll,
    render: render,
    renderStored: renderStored,
  };
}
