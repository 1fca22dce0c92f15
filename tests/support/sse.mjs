// A small, strict-enough parser for text/event-stream bodies (the WHATWG rules tests need).

/** Parses a whole SSE body into [{id, event, data}] (event defaults to "message"). */
export function parseSse(text) {
  const events = [];
  let current = { id: undefined, event: "message", data: [] };
  let seen = false;
  for (const line of text.replace(/\r\n?/g, "\n").split("\n")) {
    if (line === "") {
      if (seen) events.push({ id: current.id, event: current.event, data: current.data.join("\n") });
      current = { id: undefined, event: "message", data: [] };
      seen = false;
      continue;
    }
    if (line.startsWith(":")) continue; // comment
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") current.data.push(value);
    else if (field === "event") current.event = value;
    else if (field === "id") current.id = value;
    else continue;
    seen = true;
  }
  return events;
}
