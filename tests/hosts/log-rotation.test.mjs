// The dev server's JSON-lines log file: rotation by size or age, retention by age or count, as
// build/salient.json's `logging.rotation` and `logging.retention` carry them. A clock of the
// test's own stands in for the time, so ages and rotated names are exact.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { jsonlLogger } from "../../hosts/node-dev/jsonl-log.js";

const T0 = Date.UTC(2026, 11, 6, 23, 40, 12); // 2026-12-06T23:40:12Z
const ROTATED = /^app\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(_\d+)?\.jsonl$/;

function setup() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "salient-rotation-"));
  const clock = { ms: T0 };
  return { dir, file: path.join(dir, "app.jsonl"), clock, now: () => clock.ms, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Rotated files oldest first (by time, then _n), then the current one. */
function logFiles(dir) {
  const order = (name) => {
    const m = /\.(.{19})(?:_(\d+))?\.jsonl$/.exec(name);
    return [m[1], Number(m[2] ?? 0)];
  };
  const rotated = readdirSync(dir).filter((n) => ROTATED.test(n)).sort((a, b) => {
    const [ta, na] = order(a), [tb, nb] = order(b);
    return ta < tb ? -1 : ta > tb ? 1 : na - nb;
  });
  return [...rotated, "app.jsonl"];
}

const entries = (dir, name) => readFileSync(path.join(dir, name), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));

test("rotation by size: no file passes the limit, and every line is whole, once, in order", async () => {
  const { dir, file, now, done } = setup();
  const log = jsonlLogger({ file, stdout: false, rotation: { bytes: 300 }, now });
  for (let i = 0; i < 40; i++) log({ level: "info", event: "tick", i, pad: "x".repeat(i % 7 * 10) });
  await log.close();
  const files = logFiles(dir);
  assert.ok(files.length > 5, files.join(" "));
  for (const name of files) {
    const text = readFileSync(path.join(dir, name), "utf8");
    assert.ok(Buffer.byteLength(text) <= 300, `${name}: ${Buffer.byteLength(text)} bytes`);
    assert.ok(text.endsWith("\n"), `${name} ends with a whole line`);
  }
  // All rotations fell within one second of the test's clock: the names say which came first.
  assert.ok(files.includes("app.2026-12-06T23-40-12.jsonl") && files.includes("app.2026-12-06T23-40-12_1.jsonl"), files.join(" "));
  const seen = files.flatMap((name) => entries(dir, name).map((e) => e.i));
  assert.deepEqual(seen, [...Array(40).keys()]);
  done();
});

test("rotation by size counts what the file held before the logger opened it", async () => {
  const { dir, file, now, done } = setup();
  writeFileSync(file, JSON.stringify({ time: new Date(T0 - 1000).toISOString(), event: "earlier" }) + "\n");
  const log = jsonlLogger({ file, stdout: false, rotation: { bytes: 100 }, now });
  log({ level: "info", event: "later", pad: "y".repeat(40) });
  await log.close();
  assert.deepEqual(logFiles(dir), ["app.2026-12-06T23-40-12.jsonl", "app.jsonl"]);
  assert.deepEqual(entries(dir, "app.2026-12-06T23-40-12.jsonl").map((e) => e.event), ["earlier"]);
  assert.deepEqual(entries(dir, "app.jsonl").map((e) => e.event), ["later"]);
  done();
});

test("a line longer than the limit gets a file of its own", async () => {
  const { dir, file, now, done } = setup();
  const log = jsonlLogger({ file, stdout: false, rotation: { bytes: 64 }, now });
  log({ level: "info", event: "a" });
  log({ level: "info", event: "long", pad: "z".repeat(200) });
  log({ level: "info", event: "b" });
  await log.close();
  assert.deepEqual(logFiles(dir).map((name) => entries(dir, name).map((e) => e.event)), [["a"], ["long"], ["b"]]);
  done();
});

test("rotation by age: the file is rotated once its first entry is that old, named for the time of rotation", async () => {
  const { dir, file, clock, now, done } = setup();
  const log = jsonlLogger({ file, stdout: false, rotation: { seconds: 3600 }, now });
  log({ level: "info", event: "first" });
  clock.ms += 3599 * 1000;
  log({ level: "info", event: "same file" });
  clock.ms += 1000;
  log({ level: "info", event: "next file" });
  await log.close();
  assert.deepEqual(logFiles(dir), ["app.2026-12-07T00-40-12.jsonl", "app.jsonl"]);
  assert.deepEqual(entries(dir, "app.2026-12-07T00-40-12.jsonl").map((e) => e.event), ["first", "same file"]);
  assert.deepEqual(entries(dir, "app.jsonl").map((e) => e.event), ["next file"]);
  done();
});

test("rotation by age counts from the first entry of a file the logger found", async () => {
  const { dir, file, now, done } = setup();
  writeFileSync(file, JSON.stringify({ time: new Date(T0 - 7200 * 1000).toISOString(), event: "yesterday's" }) + "\n");
  const log = jsonlLogger({ file, stdout: false, rotation: { seconds: 3600 }, now });
  log({ level: "info", event: "today's" });
  await log.close();
  assert.deepEqual(logFiles(dir), ["app.2026-12-06T23-40-12.jsonl", "app.jsonl"]);
  assert.deepEqual(entries(dir, "app.jsonl").map((e) => e.event), ["today's"]);
  done();
});

test("retention by count keeps the newest rotated files only", async () => {
  const { dir, file, clock, now, done } = setup();
  const log = jsonlLogger({ file, stdout: false, rotation: { bytes: 80 }, retention: { files: 2 }, now });
  for (let i = 0; i < 12; i++) {
    log({ level: "info", event: "tick", i });
    clock.ms += 500; // two rotations within some seconds: their _n orders them
  }
  await log.close();
  const files = logFiles(dir);
  assert.equal(files.length, 3, files.join(" "));
  const seen = files.flatMap((name) => entries(dir, name).map((e) => e.i));
  assert.deepEqual(seen, seen.map((_, k) => 12 - seen.length + k), "the latest entries, in order");
  done();
});

test("retention by age deletes rotated files older than the limit, at start and after a rotation", async () => {
  const { dir, file, clock, now, done } = setup();
  const other = path.join(dir, "other.2026-01-01T00-00-00.jsonl"); // another log's: never touched
  for (const name of ["app.2026-12-01T00-00-00.jsonl", "app.2026-12-06T12-00-00.jsonl", "other.2026-01-01T00-00-00.jsonl", "app.notes.jsonl"]) {
    writeFileSync(path.join(dir, name), "{}\n");
  }
  const log = jsonlLogger({ file, stdout: false, rotation: { seconds: 60 }, retention: { seconds: 86400 }, now });
  assert.deepEqual(readdirSync(dir).sort(), ["app.2026-12-06T12-00-00.jsonl", "app.jsonl", "app.notes.jsonl", "other.2026-01-01T00-00-00.jsonl"]);
  log({ level: "info", event: "one" });
  clock.ms = Date.UTC(2026, 11, 7, 12, 0, 1); // a day and a second after 12:00:00 on the 6th
  log({ level: "info", event: "two" });
  await log.close();
  assert.deepEqual(readdirSync(dir).sort(), ["app.2026-12-07T12-00-01.jsonl", "app.jsonl", "app.notes.jsonl", "other.2026-01-01T00-00-00.jsonl"]);
  assert.ok(readFileSync(other, "utf8"));
  done();
});

test("without a parsed rotation (the older string form) the file only grows", async () => {
  const { dir, file, now, done } = setup();
  writeFileSync(path.join(dir, "app.2020-01-01T00-00-00.jsonl"), "{}\n");
  const log = jsonlLogger({ file, stdout: false, rotation: "50 MB", retention: "14 days", now });
  for (let i = 0; i < 20; i++) log({ level: "info", event: "tick", i });
  await log.close();
  assert.deepEqual(readdirSync(dir).sort(), ["app.2020-01-01T00-00-00.jsonl", "app.jsonl"]);
  assert.equal(entries(dir, "app.jsonl").length, 20);
  done();
});

test("after close an entry is not written, and does not throw", async () => {
  const { dir, file, now, done } = setup();
  const log = jsonlLogger({ file, stdout: false, now });
  log({ level: "info", event: "before" });
  await log.close();
  assert.doesNotThrow(() => log({ level: "info", event: "after" }));
  assert.deepEqual(entries(dir, "app.jsonl").map((e) => e.event), ["before"]);
  done();
});
