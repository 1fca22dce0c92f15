// The widget's one door into its WASM core (widget_core.cpp has the C ABI this wraps).
// Strings cross as UTF-8; every HEAPU8 view is taken after the call it reads from, because
// memory may grow during any call.
const encoder = new TextEncoder();
const decoder = new TextDecoder(); // not fatal: invalid UTF-8 from a stream becomes U+FFFD

const ABI_VERSION = 2;

export async function loadWidgetCore({ moduleUrl, wasmBinary } = {}) {
  const url = moduleUrl ?? new URL('./salient-widget-core.js', import.meta.url);
  const { default: factory } = await import(String(url));
  // Without wasmBinary Emscripten fetches the .wasm next to its .js (the browser case).
  const m = await factory(wasmBinary ? { wasmBinary } : {});
  const abiVersion = m._salient_widget_abi_version();
  if (abiVersion !== ABI_VERSION) throw new Error(`widget core ABI ${abiVersion}, expected ${ABI_VERSION}`);

  // Copies `bytes` in, runs fn(ptr, len), frees; fn's result is returned.
  const withInput = (bytes, fn) => {
    const ptr = m._salient_widget_alloc(bytes.length);
    if (!ptr) throw new Error('widget core: out of memory');
    try {
      m.HEAPU8.set(bytes, ptr);
      return fn(ptr, bytes.length);
    } finally {
      m._salient_widget_free(ptr);
    }
  };
  const output = () => {
    const p = m._salient_widget_output_ptr();
    return m.HEAPU8.subarray(p, p + m._salient_widget_output_len());
  };
  const checked = (n) => {
    if (n < 0) throw new Error('widget core: out of memory');
    return n;
  };
  const text = (n) => (checked(n), decoder.decode(output()));
  const flags = ({ allowBasicHtml = false } = {}) => (allowBasicHtml ? 1 : 0);
  // A freed handle must not reach the core: address 0 is readable memory in wasm, not a trap.
  const live = (h) => {
    if (!h) throw new Error('widget core: used after free()');
    return h;
  };
  // Commit bytes then tail bytes; n is the commit's length.
  const commitAndTail = (n) => {
    const out = output();
    checked(n);
    return { commit: decoder.decode(out.subarray(0, n)), tail: decoder.decode(out.subarray(n)) };
  };

  return {
    abiVersion,
    escapeHtml: (s) => withInput(encoder.encode(s), (p, n) => text(m._salient_escape_html(p, n))),
    renderMarkdown: (s, options) =>
      withInput(encoder.encode(s), (p, n) => text(m._salient_md_render(p, n, flags(options)))),

    createRenderer(options) {
      let h = m._salient_md_new(flags(options));
      if (!h) throw new Error('widget core: out of memory');
      return {
        append: (delta) => withInput(encoder.encode(delta), (p, n) => commitAndTail(m._salient_md_append(live(h), p, n))),
        finish: () => commitAndTail(m._salient_md_finish(live(h))),
        free() {
          if (h) m._salient_md_free(h);
          h = 0;
        },
      };
    },

    createSseParser() {
      let h = m._salient_sse_new();
      if (!h) throw new Error('widget core: out of memory');
      const parser = {
        lastEventId: '',
        retryMs: null,
        // Events completed by `bytes`: [{ event, data, id }]. Throws once the stream is refused.
        feed(bytes) {
          const count = withInput(bytes, (p, n) => m._salient_sse_feed(live(h), p, n));
          if (count < 0) throw new Error('widget core: event stream refused (oversized event or out of memory)');
          const out = output();
          const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
          const events = [];
          let at = 0;
          const field = () => {
            const len = view.getUint32(at, true);
            const s = decoder.decode(out.subarray(at + 4, at + 4 + len));
            at += 4 + len;
            return s;
          };
          for (let i = 0; i < count; i++) events.push({ event: field(), data: field(), id: field() });
          parser.lastEventId = text(m._salient_sse_last_event_id(h));
          const retry = m._salient_sse_retry_ms(h);
          parser.retryMs = retry < 0 ? null : retry;
          return events;
        },
        free() {
          if (h) m._salient_sse_free(h);
          h = 0;
        },
      };
      return parser;
    },
  };
}
