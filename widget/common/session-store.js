// This browser's conversations with one agent: ONE store for the widget's pane and the full-page
// chat, so a visitor has the same conversation on both. localStorage `salient.session.<agent>`
// holds the current session key and `salient.sessions.<agent>` a JSON array of this browser's
// keys, most recent first (at most MAX_KEYS). Where storage is blocked (privacy mode) both live in
// memory, for this page view only.

import { parseJson } from "./util.js";

export const KEY_PATTERN = /^[A-Za-z0-9_-]{8,128}$/; // what the server accepts as a session key
export const MAX_KEYS = 20;

export function sessionStore(agent) {
  const currentName = "salient.session." + agent;
  const listName = "salient.sessions." + agent;
  const memory = { current: null, list: [] };
  const read = (name) => {
    try {
      return localStorage.getItem(name);
    } catch (error) {
      return null;
    }
  };
  const write = (name, value) => {
    try {
      localStorage.setItem(name, value);
    } catch (error) {
      // blocked or full: memory only
    }
  };
  const keys = () => {
    const stored = parseJson(read(listName) || "null");
    const list = Array.isArray(stored) ? stored : memory.list;
    return list.filter((key, i) => typeof key === "string" && KEY_PATTERN.test(key) && list.indexOf(key) === i);
  };
  const save = (list) => {
    memory.list = list.slice(0, MAX_KEYS);
    write(listName, JSON.stringify(memory.list));
  };
  return {
    /** The localStorage name of the current key (another tab's change arrives as a `storage` event). */
    currentName: currentName,
    /** The stored current key, or null when there is none (or it is not a valid key). */
    current() {
      const key = read(currentName) || memory.current;
      return typeof key === "string" && KEY_PATTERN.test(key) ? key : null;
    },
    setCurrent(key) {
      memory.current = key;
      write(currentName, key);
    },
    /** This browser's keys, most recent first. */
    keys: keys,
    /** Moves `key` to the front: it has just been written to. */
    remember(key) {
      save([key].concat(keys().filter((k) => k !== key)));
    },
    /** Adds `key` at the front unless it is listed already. */
    keep(key) {
      const list = keys();
      if (list.indexOf(key) === -1) save([key].concat(list));
    },
  };
}
