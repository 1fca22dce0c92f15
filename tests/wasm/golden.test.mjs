// Golden transcripts: each tests/golden/<fn>-<case>.in.jsonl is replayed through the built
// command module build/wasi/functions/<fn>.cmd.wasm under node:wasi, and its output must equal
// <fn>-<case>.out.jsonl byte for byte. Transcripts carry their own time and entropy seed, so a
// replay is deterministic. After an intended change, regenerate and review the diff:
//   UPDATE_GOLDEN=1 node --test tests/wasm/golden.test.mjs && git diff tests/golden
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { replay } from "./replay.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const goldenDir = path.join(root, "tests/golden");
const update = process.env.UPDATE_GOLDEN === "1";

for (const file of readdirSync(goldenDir).filter((f) => f.endsWith(".in.jsonl")).sort()) {
  const name = file.slice(0, -".in.jsonl".length);
  const fn = name.split("-")[0];
  test(`golden: ${name} replays through ${fn}.cmd.wasm`, async () => {
    const output = await replay(path.join(root, `build/wasi/functions/${fn}.cmd.wasm`),
      readFileSync(path.join(goldenDir, file)));
    const expectedPath = path.join(goldenDir, `${name}.out.jsonl`);
    if (update || !existsSync(expectedPath)) {
      writeFileSync(expectedPath, output);
      if (!update) assert.fail(`${name}.out.jsonl did not exist; written — review it and commit`);
      return;
    }
    assert.equal(output, readFileSync(expectedPath, "utf8"));
  });
}
