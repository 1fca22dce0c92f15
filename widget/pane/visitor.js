// The visitor's details (Salient.identify): kept for this tab (sessionStorage) and stored with
// the conversation (POST identify), so the assistant does not ask for them again and the team
// sees who it was. A conversation that has not started yet has nothing to store them on
// ("no_conversation"): they are stored after its first message (storeIdentity after a send), as
// in a new chat.

import { postErrorText } from "../common/util.js";
import { errorCode } from "./server.js";

export function installVisitor(p) {
  const storageName = "salient.visitor." + p.config.agent;
  let visitor = null; // what identify() was given; stored on each conversation it is used in
  const identifiedKeys = new Set(); // session keys whose conversation has it
  try {
    visitor = JSON.parse(sessionStorage.getItem(storageName) || "null");
  } catch (error) {
    visitor = null;
  }

  /** What identify() was given (the host site's word: unverified), or null. */
  p.visitor = () => visitor;

  p.identify = async (details) => {
    const clean = {};
    for (const field of ["email", "name"]) {
      const value = details && details[field];
      if (typeof value === "string" && value.trim()) clean[field] = value.trim().slice(0, field === "email" ? 254 : 120);
    }
    if (!clean.email && !clean.name) return clean;
    try {
      sessionStorage.setItem(storageName, JSON.stringify(clean));
    } catch (error) {
      // storage blocked: the server still gets them
    }
    visitor = clean;
    identifiedKeys.clear();
    p.emit("identify", clean);
    await p.storeIdentity(p.current);
    return clean;
  };

  /** Stores the visitor's details on `key`'s conversation, once; quietly later if it has none yet. */
  p.storeIdentity = async (key) => {
    const details = visitor;
    if (!details || identifiedKeys.has(key)) return;
    let reply;
    try {
      reply = await p.server.postJson("identify", { session_key: key, ...details });
    } catch (error) {
      return; // offline: tried again after the next message
    }
    if (reply.ok && reply.json && reply.json.status === "no_conversation") return; // after its first message
    if (details !== visitor) return; // identify() was called again meanwhile
    identifiedKeys.add(key);
    if (!reply.ok) p.emit("error", { code: errorCode(reply.json, reply.status), message: postErrorText(reply.status, reply.json) });
  };
}
