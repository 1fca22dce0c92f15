// Behaviour of the full-page HTMX chat at /a/{agent}/, bundled by ./scripts/build into
// /assets/page.js (a classic deferred script). The page's CSP is `script-src 'self'`, so
// everything htmx cannot do declaratively without eval (hx-on, trigger filters) lives here.
//
// The HTML contract (rendered by the chat module): form#chat-form with data-agent and the
// agent's UI settings (data-submit-shortcut, data-enter-inserts-newline, data-debounce-ms,
// data-allow-basic-html; data-sse is not read: each answer's bubble says how it comes),
// textarea#message, input#session-key, input#idempotency-key, button#send; div#messages, where
// each POST appends a user bubble and an assistant bubble for its answer (answers.js); and in the
// header button#new-chat, details#sessions > div#session-list, button#clear-chat (made here
// beside New chat when the markup has none), and button#email-summary with p#summary-status (no
// Email summary when the markup has none). data-handoff="1" on the form: the agent has a team
// for "Talk to a person" (handoff.js makes its button beside Email summary).
//
// Parts, each given the shared state `ctx`:
//   send.js           the message box's keys and debounce, htmx's POST and its errors
//   answers.js        the answer: the event stream through htmx-ext-sse, or one JSON document
//   markdown.js       answers rendered by the widget's WASM core
//   conversations.js  history, New chat, Clear, Past chats
//   verify.js         "Verify your email" (common/verify.js) and the profile card
//   summary.js        "Email summary" (common/summary.js): button#email-summary, p#summary-status
//   handoff.js        "Talk to a person" (common/handoff.js): button#talk-to-person when the form
//                     has data-handoff="1", an answer's done.handoff, the team's replies (polled)
// and on any page (the privacy page has no chat form): privacy.js, the one-time-code fragments'
// code input and resend countdown.
// Conversations are kept in common/session-store.js, the store the widget uses: a visitor has
// one conversation on both.

import { inputKeys } from "../common/input-keys.js";
import { sessionStore } from "../common/session-store.js";
import { uuid } from "../common/util.js";
import { installAnswers } from "./answers.js";
import { installConversations } from "./conversations.js";
import { sessionField } from "./dom.js";
import { installHandoff } from "./handoff.js";
import { installMarkdown } from "./markdown.js";
import { installOtpFragments } from "./privacy.js";
import { installSend } from "./send.js";
import { installSummary } from "./summary.js";
import { installVerify } from "./verify.js";

function init() {
  installOtpFragments();
  const form = document.getElementById("chat-form");
  const messages = document.getElementById("messages");
  if (!form || !messages) return;
  const data = form.dataset;
  const agent = data.agent || "sales";
  const store = sessionStore(agent);
  const stored = store.current();
  const ctx = {
    form: form,
    messages: messages,
    textarea: document.getElementById("message"),
    store: store,
    // "/a/{agent}/" from the form's own action, so the page works under any mount point.
    base: (form.getAttribute("hx-post") || "/a/" + encodeURIComponent(agent) + "/chat").replace(/chat$/, ""),
    keys: inputKeys({
      submit_shortcut: data.submitShortcut,
      enter_inserts_newline: data.enterInsertsNewline === undefined ? undefined : data.enterInsertsNewline === "true",
      debounce_ms: data.debounceMs === undefined || data.debounceMs === "" ? undefined : Number(data.debounceMs),
    }),
    allowBasicHtml: data.allowBasicHtml === "true",
    // The conversation this page shows and sends to. Another tab may switch the stored key;
    // this page keeps sending to the conversation it shows.
    current: stored || uuid(),
    pendingKey: null, // the idempotency key of the unsent text (send.js)
    sendAfterHistory: false, // a send asked for while history was loading
  };
  if (!stored) store.setCurrent(ctx.current); // a key just made has no history to load
  sessionField().value = ctx.current;

  installMarkdown(ctx, (text) => {
    const slot = text.closest(".msg").querySelector(".sources-slot");
    if (slot) ctx.answers.linkSources(slot);
  });
  installAnswers(ctx);
  installSend(ctx);
  installConversations(ctx);
  installVerify(ctx, agent);
  installSummary(ctx);
  installHandoff(ctx, agent);
  if (stored) ctx.loadHistory(ctx.current);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
