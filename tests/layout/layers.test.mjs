// The core's folders are its layers (docs/ARCHITECTURE.md): a file may include only from its own
// layer or a lower one. The order is shared/CMakeLists.txt's SALIENT_LAYERS, lowest first; this
// test reads it there, so the build and the rule cannot drift apart.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SHARED = path.join(ROOT, "shared");
const cmake = readFileSync(path.join(SHARED, "CMakeLists.txt"), "utf8");

/** The layers, lowest first, from `set(SALIENT_LAYERS …)`. */
export function layerOrder(cmakeText) {
  const m = /set\(SALIENT_LAYERS ([^)]*)\)/.exec(cmakeText);
  if (!m) throw new Error("shared/CMakeLists.txt has no set(SALIENT_LAYERS …)");
  return m[1].trim().split(/\s+/);
}

/** The layer a path under shared/ belongs to, or null for files outside every layer. */
export function layerOf(relPath, layers) {
  const parts = relPath.split("/");
  const first = parts[0] === "include" && parts[1] === "salient" ? parts[2] : parts[0];
  return layers.includes(first) ? first : null;
}

/** The layer an #include names: "salient/<layer>/…" (public) or "<layer>/…" (private). */
export function includedLayer(name, layers) {
  const parts = name.split("/");
  const first = parts[0] === "salient" ? parts[1] : parts[0];
  return parts.length > 1 && layers.includes(first) ? first : null;
}

/** Every include of `text` that runs upward from `own`: [{ line, name, layer }]. */
export function upwardIncludes(text, own, layers) {
  const rank = (l) => layers.indexOf(l);
  const found = [];
  text.split("\n").forEach((line, i) => {
    const m = /^\s*#\s*include\s+"([^"]+)"/.exec(line);
    if (!m) return;
    const layer = includedLayer(m[1], layers);
    if (layer && rank(layer) > rank(own)) found.push({ line: i + 1, name: m[1], layer });
  });
  return found;
}

function sourceFiles(dir, rel = "") {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) return sourceFiles(dir, r);
    return /\.(h|cpp)$/.test(e.name) ? [r] : [];
  });
}

const LAYERS = layerOrder(cmake);
const FILES = sourceFiles(SHARED);

test("the checker itself: an upward include is found, a downward or same-layer one is not", () => {
  const text = '#include "salient/core/result.h"\n#include "flows/retrieval.h"\n#include <string>\n#include "render/sources_html.h"\n';
  assert.deepEqual(upwardIncludes(text, "render", LAYERS).map((f) => f.name), ["flows/retrieval.h"]);
  assert.deepEqual(upwardIncludes(text, "flows", LAYERS), []);
  assert.equal(layerOf("include/salient/upstream/store/state_client.h", LAYERS), "upstream");
  assert.equal(layerOf("http/cors.cpp", LAYERS), "http");
});

test("every file under shared/ lies in a layer", () => {
  const outside = FILES.filter((f) => !layerOf(f, LAYERS));
  assert.deepEqual(outside, [], `files outside every layer of ${LAYERS.join(" < ")}`);
});

test("no include runs upward: each layer includes only from itself and the layers below it", () => {
  const problems = [];
  for (const f of FILES) {
    const own = layerOf(f, LAYERS);
    for (const u of upwardIncludes(readFileSync(path.join(SHARED, f), "utf8"), own, LAYERS)) {
      problems.push(`shared/${f}:${u.line} (${own}) includes "${u.name}" (${u.layer})`);
    }
  }
  assert.deepEqual(problems, [], `layers, lowest first: ${LAYERS.join(" < ")}`);
});

test("every core source is listed in shared/CMakeLists.txt by name (no glob)", () => {
  assert.doesNotMatch(cmake, /file\s*\(\s*GLOB/);
  const unlisted = FILES.filter((f) => f.endsWith(".cpp") && !f.startsWith("abi/") && !cmake.includes(f));
  assert.deepEqual(unlisted, []);
});

test("public headers mirror the layers: include/salient/<layer>/ only", () => {
  const loose = FILES.filter((f) => f.startsWith("include/") && !layerOf(f, LAYERS));
  assert.deepEqual(loose, []);
});

test("public headers keep nlohmann and private headers out: only salient/… and the standard library", () => {
  const leaks = [];
  for (const f of FILES.filter((f) => f.startsWith("include/"))) {
    readFileSync(path.join(SHARED, f), "utf8").split("\n").forEach((line, i) => {
      const m = /^\s*#\s*include\s+([<"])([^>"]+)[>"]/.exec(line);
      if (!m) return;
      const [, kind, name] = m;
      if (kind === '"' ? !name.startsWith("salient/") : name.includes("/") || name.includes(".")) {
        leaks.push(`shared/${f}:${i + 1} includes ${kind}${name}`);
      }
    });
  }
  assert.deepEqual(leaks, []);
});
