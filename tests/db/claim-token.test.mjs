// salient_claim_turn's p_claim (issue 19, found by the load test with faults): the request that
// claimed a turn may claim it again with its own token when the store's first answer was lost;
// any other request (another token, or none) is told already_claimed, so a stream stays
// single-use. On PGlite and a real PostgreSQL 15.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { backends, client, pgSkip } from "./backends.mjs";

if (pgSkip) console.log(`# SKIPPING the real-PostgreSQL half: ${pgSkip}`);

for (const backend of backends()) {
  describe(`claim tokens on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let db, c;
    before(async () => {
      db = await backend.open();
      c = client(db.adapter);
    });
    after(() => db?.close());

    const turn = async (tenant) => (await c.rpc("salient_begin_turn", {
      p_tenant: tenant, p_agent: "sales", p_session_key: `sess-${crypto.randomUUID()}`,
      p_idempotency_key: `idem-${crypto.randomUUID()}`, p_message_id: crypto.randomUUID(), p_content: "Hello?",
    })).turn_id;
    const claim = (tenant, id, token) => c.rpc("salient_claim_turn", { p_tenant: tenant, p_turn_id: id, p_claim: token });

    test("the same token claims again with the whole context; another token or none is already_claimed", async () => {
      const t = "ct-retry";
      const id = await turn(t);
      const first = await claim(t, id, "token-a");
      assert.equal(first.status, "claimed");
      const again = await claim(t, id, "token-a");
      assert.deepEqual(again, first, "the lost answer, given again");
      assert.equal((await claim(t, id, "token-b")).status, "already_claimed");
      assert.equal((await claim(t, id, null)).status, "already_claimed");
      const [row] = await c.sql("select stream_claim from messages where id = $1", [id]);
      assert.equal(row.stream_claim, "token-a");
    });

    test("without a token the claim is single-use as before", async () => {
      const t = "ct-none";
      const id = await turn(t);
      assert.equal((await claim(t, id, null)).status, "claimed");
      assert.equal((await claim(t, id, null)).status, "already_claimed");
      assert.equal((await claim(t, id, "late-token")).status, "already_claimed");
    });
  });
}
