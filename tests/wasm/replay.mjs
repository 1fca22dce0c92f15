#!/usr/bin/env node
// Replays a JSON-lines transcript through a function's WASI command build (docs/ABI.md):
//   node tests/wasm/replay.mjs build/wasi/functions/chat.cmd.wasm < transcript.in.jsonl
// Also importable: replay(wasmPath, inputText) → output text.
import { readFileSync, writeFileSync, mkdtempSync, rmSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { fileURLToPath } from 'node:url';

const modules = new Map();

export async function replay(wasmPath, input) {
  // node:wasi speaks to real file descriptors: hand it files for stdin/stdout.
  const dir = mkdtempSync(join(tmpdir(), 'salient-replay-'));
  try {
    writeFileSync(join(dir, 'in'), input);
    const stdin = openSync(join(dir, 'in'), 'r');
    const stdout = openSync(join(dir, 'out'), 'w');
    const wasi = new WASI({ version: 'preview1', args: ['fn'], env: {}, stdin, stdout, stderr: 2, returnOnExit: true });
    if (!modules.has(wasmPath)) modules.set(wasmPath, await WebAssembly.compile(readFileSync(wasmPath)));
    const instance = await WebAssembly.instantiate(modules.get(wasmPath), { wasi_snapshot_preview1: wasi.wasiImport });
    const code = wasi.start(instance);
    closeSync(stdin);
    closeSync(stdout);
    if (code !== 0) throw new Error(`${wasmPath} exited with ${code}`);
    return readFileSync(join(dir, 'out'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [wasmPath] = process.argv.slice(2);
  if (!wasmPath) {
    console.error('usage: node tests/wasm/replay.mjs <fn.cmd.wasm> < transcript.jsonl');
    process.exit(2);
  }
  process.stdout.write(await replay(wasmPath, readFileSync(0)));
}
