// The benchmarks start workerd through the tests' launcher (tests/support/workerd.mjs): the same
// capnp config, spawned directly so `pid` is the workerd process whose CPU /proc reports. Ready
// as soon as the socket accepts a connection, so the first request measured is really the first.
import { startWorkerd as start } from "../../tests/support/workerd.mjs";

export { freePort, SALIENT_MODULES } from "../../tests/support/workerd.mjs";

export async function startWorkerd(name, { modules, bindings = {}, extraArgs = [], verbose = true, timeoutMs = 30000 }) {
  return { name, ...(await start({ modules, env: bindings, extraArgs, verbose, timeoutMs, readyPath: null })) };
}
