// The peers of bench/widget-bytes.mjs: flowise-embed and @n8n/chat, each embedded the way its
// README says, on the same host page as ours (the demo home page, examples/plain/index.html,
// with our snippet swapped for theirs), served like ours: gzip, from 127.0.0.1.
//
// Their packages are fetched with `npm pack` into build/bench/peers/ the first time (the npm
// registry; nothing is installed into node_modules: both ship prebuilt browser bundles).
// Their backends are not there: flowise's apiHost points at a closed port, and n8n's webhook
// answers `{"data": []}` (no earlier session) so that it renders. Only their own files count as
// their bytes, as only /widget/ counts as ours.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { OUT, REPO } from "./common.mjs";

const PEERS_DIR = path.join(OUT, "peers");
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css" };
const OUR_SNIPPET = '<script src="/widget/salient.js" data-agent="sales" async></script>';

/** The package's folder (its `package/` unpacked), fetched once. */
function unpacked(spec, dir) {
  const target = path.join(PEERS_DIR, dir);
  if (existsSync(path.join(target, "package.json"))) return target;
  mkdirSync(target, { recursive: true });
  const tgz = execFileSync("npm", ["pack", spec, "--silent", "--pack-destination", PEERS_DIR], { encoding: "utf8" }).trim().split("\n").pop();
  execFileSync("tar", ["xzf", path.join(PEERS_DIR, tgz), "-C", target, "--strip-components=1"]);
  return target;
}

/** Serves `files` (URL path prefix → folder), `page` at / and a stub webhook, gzipped. */
async function serve(page, files) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/webhook") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"data":[]}');
      return;
    }
    let body = null, type = "text/html";
    if (url.pathname === "/") body = Buffer.from(page);
    for (const [prefix, dir] of Object.entries(files)) {
      if (body || !url.pathname.startsWith(prefix)) continue;
      const file = path.join(dir, url.pathname.slice(prefix.length));
      if (file.startsWith(dir + path.sep) && existsSync(file)) {
        body = readFileSync(file);
        type = TYPES[path.extname(file)] ?? "application/octet-stream";
      }
    }
    if (!body) {
      res.writeHead(404);
      res.end();
      return;
    }
    const gzip = /\bgzip\b/.test(req.headers["accept-encoding"] ?? "");
    res.writeHead(200, { "content-type": type, "cache-control": "no-cache", ...(gzip && { "content-encoding": "gzip" }) });
    res.end(gzip ? gzipSync(body) : body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, stop: () => new Promise((resolve) => server.close(resolve)) };
}

function hostPage(embed) {
  const html = readFileSync(path.join(REPO, "examples", "plain", "index.html"), "utf8");
  if (!html.includes(OUR_SNIPPET)) throw new Error("examples/plain/index.html no longer has the snippet this bench replaces");
  return html.replace(OUR_SNIPPET, embed);
}

export const PEERS = [
  {
    name: "flowise-embed",
    version: "3.1.6",
    async start() {
      const dir = unpacked(`flowise-embed@${this.version}`, "flowise-embed");
      const embed = '<script type="module">import Chatbot from "/flowise/web.js"; ' +
        'Chatbot.init({ chatflowid: "demo", apiHost: "http://127.0.0.1:9" });</script>';
      return serve(hostPage(embed), { "/flowise/": path.join(dir, "dist") });
    },
    isAsset: (url) => new URL(url).pathname.startsWith("/flowise/"),
    launcher: "flowise-chatbot button",
    // Serialized into the page: self-contained.
    measureOpen: () => new Promise((resolve) => {
      const root = document.querySelector("flowise-chatbot").shadowRoot;
      const start = performance.now();
      root.querySelector("button").click();
      const check = () => {
        const input = root.querySelector("textarea");
        if (input && !input.disabled && input.checkVisibility()) resolve(performance.now() - start);
        else setTimeout(check, 0);
      };
      check();
    }),
  },
  {
    name: "@n8n/chat",
    version: "1.37.0",
    async start() {
      const dir = unpacked(`@n8n/chat@${this.version}`, "n8n-chat");
      const embed = '<link href="/n8n/style.css" rel="stylesheet"><script type="module">' +
        'import { createChat } from "/n8n/chat.bundle.es.js"; createChat({ webhookUrl: "/webhook" });</script>';
      return serve(hostPage(embed), { "/n8n/": path.join(dir, "dist") });
    },
    isAsset: (url) => new URL(url).pathname.startsWith("/n8n/"),
    launcher: ".chat-window-toggle",
    measureOpen: () => new Promise((resolve) => {
      const start = performance.now();
      document.querySelector(".chat-window-toggle").click();
      const check = () => {
        const input = document.querySelector(".chat-window textarea, .chat-inputs textarea");
        if (input && !input.disabled && input.checkVisibility()) resolve(performance.now() - start);
        else setTimeout(check, 0);
      };
      check();
    }),
  },
];

