// An unmodified automerge-repo 2.5.6 peer against Outpost's relay, for
// server/tests/automerge_repo.rs. It signs in as a person, fetches a record the relay holds,
// edits one field and checks, with a second fresh peer, that the relay kept the edit.
//
//   RELAY=http://127.0.0.1:PORT USERNAME=… PASSWORD=… DOCUMENT=<id> TITLE=<new title> node client.mjs
//
// Prints one JSON line {"fetched": <title seen first>, "refetched": <title a fresh peer sees>}
// and exits 0; on any failure prints the reason to stderr and exits 1.
import http from "node:http";
import { ImmutableString, Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const { RELAY, USERNAME, PASSWORD, DOCUMENT, TITLE } = process.env;
const fail = (why) => {
  console.error(`client.mjs: ${why}`);
  process.exit(1);
};
setTimeout(() => fail("timed out after 60 s"), 60_000).unref();

// Each peer is a device of its own: it signs in the way the app does (device ids are
// "device-…") and the relay answers with the session cookie.
const cookies = new Map();
async function signIn(device) {
  const response = await fetch(`${RELAY}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: USERNAME, password: PASSWORD, device }),
  });
  if (!response.ok) fail(`sign-in as ${device}: ${response.status} ${await response.text()}`);
  cookies.set(device, response.headers.getSetCookie().map((c) => c.split(";")[0]).join("; "));
}

// A browser sends the cookie with the WebSocket upgrade by itself; node's `ws`, which the
// adapter constructs with the URL alone, is given it here without touching the adapter: the
// URL names the device (the relay ignores the query) and the upgrade request carries its cookie.
const request = http.request;
http.request = (options, ...rest) => {
  const device = new URLSearchParams(String(options.path).split("?")[1]).get("device");
  const cookie = cookies.get(device);
  return request(cookie ? { ...options, headers: { ...options.headers, cookie } } : options, ...rest);
};

const sync = `${RELAY.replace(/^http/, "ws")}/sync`;
async function peer(name) {
  const device = `device-js-${name}-${process.pid}`;
  await signIn(device);
  const network = [new WebSocketClientAdapter(`${sync}?device=${device}`)];
  return new Repo({ network, peerId: device });
}
const url = `automerge:${DOCUMENT}`;

const first = await peer("a");
const handle = await first.find(url);
const fetched = String(handle.doc().title);
handle.change((doc) => {
  // The record keeps its title a plain string (autosurgeon's `String`), not collaborative text.
  doc.title = new ImmutableString(TITLE);
});

// A peer with nothing stored sees the edit only once the relay has it.
let refetched;
for (let attempt = 0; attempt < 100; attempt++) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  const fresh = await peer(`b${attempt}`);
  try {
    refetched = String((await fresh.find(url)).doc().title);
  } catch (e) {
    refetched = `unavailable: ${e.message}`;
  }
  await fresh.shutdown();
  if (refetched === TITLE) break;
}
await first.shutdown();
console.log(JSON.stringify({ fetched, refetched }));
process.exit(0);
