// The widget's WASM core (widget/core), loaded in Node the way the browser loads it: first the
// raw exports, then through widget/core/widget-core-api.js, the wrapper the widget imports.
// Needs the web build: cmake --preset web && cmake --build --preset web
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { loadWidgetCore } from '../../widget/core/widget-core-api.js';

const dir = fileURLToPath(new URL('../../build/web/widget/core/', import.meta.url));
const jsPath = `${dir}salient-widget-core.js`;
const wasmPath = `${dir}salient-widget-core.wasm`;

if (!existsSync(jsPath) || !existsSync(wasmPath)) {
  throw new Error(`${jsPath} not built: run cmake --preset web && cmake --build --preset web`);
}

const { default: createCore } = await import(pathToFileURL(jsPath).href);
// Emscripten's JS would fetch() the .wasm next to it; in Node hand it the bytes instead.
const core = await createCore({ wasmBinary: readFileSync(wasmPath) });

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Escapes the bytes through the core; returns the output bytes (copied out). */
function escapeBytes(bytes) {
  const ptr = core._salient_widget_alloc(bytes.length);
  assert.notEqual(ptr, 0, 'alloc failed');
  try {
    core.HEAPU8.set(bytes, ptr);
    const n = core._salient_escape_html(ptr, bytes.length);
    assert.ok(n >= 0, 'escape failed');
    assert.equal(core._salient_widget_output_len(), n);
    // Memory may have grown during the call: take a fresh view.
    const out = core._salient_widget_output_ptr();
    return core.HEAPU8.slice(out, out + n);
  } finally {
    core._salient_widget_free(ptr);
  }
}

const escape = (text) => decoder.decode(escapeBytes(encoder.encode(text)));

const reference = (text) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#39;');

test('ABI version is 2', () => {
  assert.equal(core._salient_widget_abi_version(), 2);
});

test('escapes the five HTML-special characters', () => {
  assert.equal(escape(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
  assert.equal(escape('plain text, no change'), 'plain text, no change');
  assert.equal(escape(''), '');
  assert.equal(escape('&amp;'), '&amp;amp;', 'already-escaped text is escaped again');
});

test('neutralises markup and attribute breakouts', () => {
  assert.equal(escape('<script>alert("x")</script>'),
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  assert.equal(escape(`" onmouseover='alert(1)' x="`),
    '&quot; onmouseover=&#39;alert(1)&#39; x=&quot;');
  assert.equal(escape('<img src=x onerror=alert(1)>'), '&lt;img src=x onerror=alert(1)&gt;');
});

test('passes multi-byte UTF-8 through unchanged', () => {
  const text = 'Prix: 12 € <tout compris> — 日本語 "引用" 🎉 café & crème';
  assert.equal(escape(text), reference(text));
  assert.equal(escape('🎉<🎉>'), '🎉&lt;🎉&gt;');
});

test('a UTF-8 character split across stream chunks survives', () => {
  const bytes = encoder.encode('a<€>b');            // € is 3 bytes: e2 82 ac
  const split = bytes.indexOf(0x82);                 // cut inside it
  const joined = new Uint8Array([...escapeBytes(bytes.subarray(0, split)),
    ...escapeBytes(bytes.subarray(split))]);
  assert.equal(decoder.decode(joined), 'a&lt;€&gt;b');
});

test('matches a reference escaper on random text', () => {
  const alphabet = [...`abc &<>"'\n\t;#`, 'é', '€', '日', '🎉', '\u0000'];
  let seed = 42;
  const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  for (let i = 0; i < 200; i++) {
    let text = '';
    for (let j = rand(64); j > 0; j--) text += alphabet[rand(alphabet.length)];
    assert.equal(escape(text), reference(text));
  }
});

test('large input grows memory and stays correct', () => {
  const text = '<'.repeat(4 << 20) + 'é';       // 4 MiB in, 16 MiB out: beyond the initial heap
  const out = escape(text);
  assert.equal(out.length, (4 << 20) * 4 + 1);
  assert.ok(out.startsWith('&lt;&lt;') && out.endsWith('&lt;é'));
  assert.equal(escape('<b>'), '&lt;b&gt;', 'still fine after growth');
});

test('module stays small', () => {
  const wasmGz = gzipSync(readFileSync(wasmPath), { level: 9 }).length;
  const jsGz = gzipSync(readFileSync(jsPath), { level: 9 }).length;
  assert.ok(wasmGz < 50 * 1024, `wasm is ${wasmGz} bytes gzipped (limit 50 KB)`);
  assert.ok(jsGz < 20 * 1024, `js is ${jsGz} bytes gzipped (limit 20 KB)`);
});

// --- through widget-core-api.js ---------------------------------------------------------------

const api = await loadWidgetCore({ moduleUrl: pathToFileURL(jsPath).href, wasmBinary: readFileSync(wasmPath) });

const docs = [
  '# Prices\n\nOur **lawn** plan costs *$30*.\n\n- mow\n- edge\n\n  still edge\n- rake\n\nDone.\n',
  'Intro\n\n```js\nlet a = 1;\n\n\nlet b = "<b>";\n```\n\nAfter — café 🎉\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\nend',
  '<b>bold</b> <i>open\n\n[ok](https://x.example/?a=1&b=2) [bad](javascript:alert(1)) ![img](https://evil.example/?q=s)\n\n> q\n\nz',
];

test('api: abiVersion and escapeHtml', () => {
  assert.equal(api.abiVersion, 2);
  assert.equal(api.escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('api: renderMarkdown renders and sanitizes', () => {
  assert.equal(api.renderMarkdown('# Hi\n\n*é* <script>x</script>'),
    '<h3>Hi</h3>\n<p><em>é</em> &lt;script&gt;x&lt;/script&gt;</p>\n');
  assert.equal(api.renderMarkdown('[a](https://x.example) [b](JavaScript:alert(1)) ![c](https://evil.example/c)'),
    '<p><a href="https://x.example" rel="noopener noreferrer" target="_blank">a</a> b c</p>\n');
  assert.equal(api.renderMarkdown('<b>x</b>'), '<p>&lt;b&gt;x&lt;/b&gt;</p>\n');
  assert.equal(api.renderMarkdown('<b>x</b>', { allowBasicHtml: true }), '<p><b>x</b></p>\n');
  assert.match(api.renderMarkdown('```sh\nls\n```'), /<button type="button" class="copy" data-copy>Copy<\/button><pre><code class="language-sh">ls\n/);
});

test('api: streaming commits + tail equal the one-shot render at every split', () => {
  for (const allowBasicHtml of [false, true]) {
    for (const doc of docs) {
      const whole = api.renderMarkdown(doc, { allowBasicHtml });
      const chars = [...doc]; // split between characters: JS strings cannot hold half a UTF-8 char
      for (let i = 0; i <= chars.length; i++) {
        const r = api.createRenderer({ allowBasicHtml });
        try {
          let html = '';
          let tail = '';
          for (const piece of [chars.slice(0, i).join(''), chars.slice(i).join('')]) {
            const out = r.append(piece);
            html += out.commit;
            tail = out.tail;
          }
          // Before finish, what is on screen is commits + the latest tail.
          assert.ok(tail.length > 0 || html === whole || doc.trim() === '');
          const end = r.finish();
          assert.equal(end.tail, '');
          assert.equal(html + end.commit, whole, `split at ${i}`);
        } finally {
          r.free();
        }
      }
    }
  }
});

test('api: a long stream commits blocks as they complete', () => {
  const r = api.createRenderer();
  const first = r.append('Para one.\n\nPara');
  assert.equal(first.commit, '<p>Para one.</p>\n');
  assert.equal(first.tail, '<p>Para</p>\n');
  const second = r.append(' two.');
  assert.equal(second.commit, '');
  assert.equal(second.tail, '<p>Para two.</p>\n');
  assert.deepEqual(r.finish(), { commit: '<p>Para two.</p>\n', tail: '' });
  r.free();
  r.free(); // idempotent
  assert.throws(() => r.append('x'), /after free/);
});

test('api: SSE parser across arbitrary byte splits, with ids and retry', () => {
  const bytes = encoder.encode('\uFEFFevent: token\r\ndata: caf\u00e9 \u20ac\r\nid: a1\r\n\r\n: ping\r\r' +
    'data: l1\ndata: l2\nretry: 2500\n\nid: b2\n\nevent: done\rdata\r\r');
  const expected = [
    { event: 'token', data: 'café €', id: 'a1' },
    { event: 'message', data: 'l1\nl2', id: 'a1' },
    { event: 'done', data: '', id: 'b2' },
  ];
  for (let i = 0; i <= bytes.length; i++) {
    const p = api.createSseParser();
    try {
      assert.equal(p.retryMs, null);
      const events = [...p.feed(bytes.subarray(0, i)), ...p.feed(bytes.subarray(i))];
      assert.deepEqual(events, expected, `split at ${i}`);
      assert.equal(p.lastEventId, 'b2');
      assert.equal(p.retryMs, 2500);
    } finally {
      p.free();
    }
  }
});

test('api: lastEventId follows the stream for a resume', () => {
  const p = api.createSseParser();
  assert.deepEqual(p.feed(encoder.encode('id: 7\ndata: x\n\nid: 8\ndata: y')), [{ event: 'message', data: 'x', id: '7' }]);
  assert.equal(p.lastEventId, '7', 'the half-received event does not count');
  p.free();
});

test('api: the XSS corpus renders without dangerous markup', () => {
  const file = readFileSync(new URL('../fixtures/xss/vectors.txt', import.meta.url), 'utf8');
  const body = file.slice(file.indexOf('\n%%\n') + 4).replace(/\n$/, '');
  const vectors = body.split('\n%%\n');
  assert.ok(vectors.length >= 110);
  for (const v of vectors) {
    for (const allowBasicHtml of [false, true]) {
      const html = api.renderMarkdown(v, { allowBasicHtml });
      assert.doesNotMatch(html, /<(script|svg|img|iframe|object|embed|style|form|meta|base|link|math)/i, v);
      assert.doesNotMatch(html, /<[^>]*\son\w+=/i, v);
      for (const [, href] of html.matchAll(/href="([^"]*)"/g)) {
        // As the URL parser reads it: trimmed, tabs/newlines dropped, then scheme or none.
        const url = href.replace(/&amp;/g, '&').replace(/^[\x00-\x20]+/, '').replace(/[\t\n\r]/g, '');
        const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1].toLowerCase();
        assert.ok(scheme === undefined || ['http', 'https', 'mailto'].includes(scheme), `${v} → ${href}`);
        assert.doesNotMatch(href.replace(/&(amp|lt|gt|quot|#39);/g, ''), /&/, 'no entity but our own escapes');
      }
    }
  }
});

test('api: first-open size of the core stays within its budget', () => {
  const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length;
  const total = gz(wasmPath) + gz(jsPath) + gz(new URL('../../widget/core/widget-core-api.js', import.meta.url));
  assert.ok(total <= 36 * 1024, `core is ${total} bytes gzipped (budget ~35 KB)`);
});
