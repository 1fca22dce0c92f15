// The empty peer of bench/cold-start.mjs in workerd: no imports, one fixed answer. What a fresh
// workerd isolate and its first request cost before any of Salient's code runs.
export default {
  fetch: () => new Response("ok"),
};
