// The widget's WASM core (widget/core), loaded in Node the way the browser loads it.
// Needs the web build: cmake --preset web && cmake --build --preset web
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

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

test('ABI version is 1', () => {
  assert.equal(core._salient_widget_abi_version(), 1);
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
