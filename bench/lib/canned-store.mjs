// A CANNED RESPONDER FOR BENCHMARKS, NOT A STORE. It answers the RPCs a chat turn makes
// (salient_begin_turn on the POST; salient_attach_retrieval, salient_claim_turn and
// salient_finish_turn on the stream) with fixed, valid responses in the shapes of
// db/functions, in microseconds, so that the figures that must not include the store's time
// (CPU per turn, cold start, the time to first token Salient adds) measure Salient and the peers
// alone. It keeps nothing but each turn's message and agent from its begin to its claim (the
// claim hands them back, as the store does). Every claim is a conversation's first: history is
// [], there is no persona or profile, the month's spend is 0 and there are no retrieval results.
// The store itself (PGlite, the SQL that runs on Supabase) is tested in tests/db; the benchmarks
// that need one (retrieval-dense, widget-bytes) run PGlite in memory.
//
// Its shape is a state backend's (hosts/node-dev/postgrest.js): serve it in-process with
// rpcHandler(cannedStore()), on a port with startStateServer({ backend: cannedStore() })
// (hosts/node-dev/state-server.js), or give it to the dev server as startServer({ state }).

const SESSION_ID = "00000000-0000-4000-8000-00000000b001";

export function cannedStore() {
  const turns = new Map(); // turn id → { message, agent }, from its begin until its claim
  const answers = {
    salient_begin_turn: (a) => {
      turns.set(a.p_message_id, { message: a.p_content, agent: a.p_agent });
      return { turn_id: a.p_message_id, session_id: SESSION_ID, duplicate: false };
    },
    salient_attach_retrieval: () => ({ status: "attached" }),
    salient_claim_turn: (a) => {
      const turn = turns.get(a.p_turn_id);
      if (!turn) return { status: "not_found" };
      turns.delete(a.p_turn_id);
      return {
        status: "claimed", message: turn.message, session_id: SESSION_ID, agent: turn.agent, history: [],
        persona: null, profile: null, month_cost_usd: 0, retrieval: null,
      };
    },
    salient_finish_turn: (a) => ({ message_id: a.p_message_id }),
    salient_turn_answer: () => ({ status: "pending" }),
    salient_session_history: (a) => ({ session_key: a.p_session_key, session_id: null, messages: [] }),
    salient_list_sessions: () => ({ sessions: [] }),
  };
  return {
    // null for any other function: PostgREST's 404 PGRST202 (and the dev server's start-up
    // salient_sync_config is then skipped, as for any backend without it).
    call: async (fn, args) => (Object.hasOwn(answers, fn) ? { status: 200, body: answers[fn](args) } : null),
    dump: async () => ({ sessions: [], messages: [] }),
    close: async () => {},
  };
}
