// salient.yaml `chat.input`, as the widget's pane and the full-page chat both apply it to their
// message box. The widget reads the keys from GET /a/{agent}/settings, the page from its form's
// data attributes; inputKeys() checks them the same way for both.
//
//   submit_shortcut        "ctrl+enter": Ctrl+Enter (Cmd+Enter on a Mac) sends;
//                          "enter": Enter sends (Ctrl/Cmd+Enter too), Shift+Enter does not.
//   enter_inserts_newline  plain Enter, when it does not send: true inserts a new line, false
//                          does nothing (a stray Enter neither sends nor breaks the line). Its
//                          default follows submit_shortcut, and "enter" with true is refused by
//                          the config compiler: Enter cannot both send and break the line.
//                          Shift+Enter always inserts a new line when it does not send.
//   debounce_ms            0-5000: a submission (the send shortcut or the Send button) less
//                          than this many milliseconds after the previous one, sent or ignored,
//                          is ignored: a double click or a held key sends once. 0 turns it off.
//                          Empty text is no submission. Not debounced: what the page does by
//                          itself (a send deferred until the history is in), the widget's Retry
//                          (it answers a failure) and Salient.send().

export const INPUT_DEFAULTS = { submitShortcut: "ctrl+enter", enterInsertsNewline: true, debounceMs: 250 };

/** The keys from `raw` (settings JSON names); a missing or malformed one keeps its default. */
export function inputKeys(raw) {
  const shortcut = raw && raw.submit_shortcut;
  const newline = raw && raw.enter_inserts_newline;
  const ms = raw && raw.debounce_ms;
  return {
    submitShortcut: shortcut === "enter" || shortcut === "ctrl+enter" ? shortcut : INPUT_DEFAULTS.submitShortcut,
    enterInsertsNewline: typeof newline === "boolean" ? newline : shortcut !== "enter",
    debounceMs: Number.isInteger(ms) && ms >= 0 && ms <= 5000 ? ms : INPUT_DEFAULTS.debounceMs,
  };
}

/**
 * What a keydown in the message box does under `keys`: "send", "newline" (let the browser insert
 * it), "none" (swallow it), or null when it is not an Enter (or is part of an IME composition).
 */
export function enterAction(event, keys) {
  if (event.key !== "Enter" || event.isComposing) return null;
  const sends = keys.submitShortcut === "enter" ? !event.shiftKey : event.ctrlKey || event.metaKey;
  if (sends) return "send";
  if (event.shiftKey) return "newline";
  return keys.enterInsertsNewline && keys.submitShortcut !== "enter" ? "newline" : "none";
}

/** The keys in words, for the message box's description. */
export function hintText(keys) {
  if (keys.submitShortcut === "enter") return "Enter sends, Shift+Enter adds a new line.";
  return keys.enterInsertsNewline ? "Ctrl+Enter sends, Enter adds a new line." : "Ctrl+Enter sends, Shift+Enter adds a new line.";
}

/**
 * debounce_ms as a gate: `accept()` says whether a submission goes ahead. Every call restarts the
 * window (a held key keeps being ignored until it is released for that long). The window is read
 * at each call: the widget's settings may arrive after the gate is made.
 */
export function debounceGate(currentWindowMs) {
  let last = -Infinity;
  return {
    accept() {
      const now = performance.now();
      const ok = now - last >= currentWindowMs();
      last = now;
      return ok;
    },
  };
}
