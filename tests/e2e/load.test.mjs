// A short load run with faults inside the suite (issue 19; the full one is bench/load.mjs):
// 20 visitors × 10 s on the Node dev server and on workerd, against the fake OpenRouter (a share
// of 429/5xx/stall answers), fake Mailgun behind a fault proxy (503s) and the state store behind
// our PostgREST layer and a fault proxy (503 before forwarding; forwarded, then the answer
// dropped). Visitors retry, resubmit with the same idempotency key, cut streams and resume them
// with Last-Event-ID, and press the summary button, as the widget does (bench/lib/load-client.mjs).
// The database is then read: nothing lost, nothing duplicated (bench/lib/load-checks.mjs), and
// every kind of fault really happened.
//
// The store is a real PostgreSQL 15 (tests/support/postgres.mjs) when this machine has one, else
// PGlite. Every store function may fail either way; tests/e2e/store-faults.test.mjs fails them
// one at a time.
//
//   node --test tests/e2e/load.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { runHost, startUpstreams } from "../../bench/lib/load.mjs";
import { postgresUnavailable } from "../support/postgres.mjs";

const VISITORS = 20;
const SECONDS = 10;
// More summary presses and more store and Mailgun faults than the bench's, so that a 10-second
// run surely has some of each (about 80 messages and 250 store calls a host).
const SHORT = { summaryShare: 0.2, mail: { before: 0.4, after: 0 } };
const STORE = { before: 0.04, after: 0.03 };

describe("load with faults (short run)", () => {
  let up;
  before(async () => {
    up = await startUpstreams({ postgres: !postgresUnavailable(), seed: Date.now() });
  });
  after(async () => up?.close());

  function assertSound(result) {
    const why = JSON.stringify({ lost: result.lost, duplicated: result.duplicated, examples: result.examples });
    assert.equal(result.lost.total, 0, `lost: ${why}`);
    assert.equal(result.duplicated.total, 0, `duplicated: ${why}`);
    assert.equal(result.hung, 0, "every answered message's stream ended");
    assert.equal(result.mismatched, 0, `what the visitors read is what is stored: ${why}`);
    assert.ok(result.sent >= VISITORS, `at least a message each (${result.sent})`);
    assert.equal(result.stored, result.answered, "every accepted message is stored");
  }

  function assertFaulted(result) {
    const { faults } = result;
    const modelFaults = Object.entries(faults.model).filter(([kind]) => kind !== "ok").reduce((n, [, v]) => n + v, 0);
    const summary = JSON.stringify(faults);
    assert.ok(modelFaults > 0, `model faults served: ${summary}`);
    assert.ok(faults.store.before > 0, `store 503s: ${summary}`);
    assert.ok(faults.store.after > 0, `store answers dropped: ${summary}`);
    assert.ok(faults.mail.before > 0, `Mailgun 503s: ${summary}`);
    assert.ok(faults.clientDrops > 0 && result.resumed > 0, `streams cut and resumed: ${summary}`);
    assert.ok(faults.resubmissions > 0, `resubmissions: ${summary}`);
  }

  for (const host of ["node-dev", "workerd"]) {
    test(`${host}: ${VISITORS} visitors × ${SECONDS} s with faults lose and duplicate nothing`, async () => {
      const result = await runHost(up, host, {
        visitors: VISITORS, seconds: SECONDS, graceSeconds: 20,
        overrides: { ...SHORT, store: STORE },
      });
      assertSound(result);
      assertFaulted(result);
    });
  }
});
