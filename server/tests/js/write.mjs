// An unmodified automerge-repo 2.5.6 peer writing into a record the way any JS integration
// does: plain JS values, so strings become collaborative text (automerge-repo uses Automerge's
// `next` API). For the end-to-end test tests/tests/foreign_peer.rs.
//
//   RELAY=http://127.0.0.1:PORT USERNAME=… PASSWORD=… DOCUMENT=<id> CHANGES='{"title": "…"}' node write.mjs
//
// Sets each field of CHANGES on the document's root, waits until a fresh peer fetching the
// document from the relay sees the change, then prints {"written": CHANGES} and exits 0; on
// any failure prints the reason to stderr and exits 1.
import http from "node:http";
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const { RELAY, USERNAME, PASSWORD, DOCUMENT, CHANGES } = process.env;
const changes = JSON.parse(CHANGES);
const fail = (why) => {
  console.error(`write.mjs: ${why}`);
  process.exit(1);
};
setTimeout(() => fail("timed out after 60 s"), 60_000).unref();

// Signing in and the session cookie on the WebSocket upgrade: as client.mjs does. A busy
// relay may answer "try again" (5xx): it is tried again, a few times.
const cookies = new Map();
async function signIn(device) {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${RELAY}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: USERNAME, password: PASSWORD, device }),
    });
    if (response.ok) {
      cookies.set(device, response.headers.getSetCookie().map((c) => c.split(";")[0]).join("; "));
      return;
    }
    if (response.status < 500 || attempt === 5) {
      fail(`sign-in as ${device}: ${response.status} ${await response.text()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
}
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
const same = (doc) => Object.entries(changes).every(([key, value]) => JSON.stringify(doc[key]) === JSON.stringify(value));

const writer = await peer("w");
const handle = await writer.find(url);
handle.change((doc) => Object.assign(doc, changes));

for (let attempt = 0; attempt < 100; attempt++) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  const fresh = await peer(`r${attempt}`);
  let seen = false;
  try {
    seen = same((await fresh.find(url)).doc());
  } catch (e) {
    // not there yet
  }
  await fresh.shutdown();
  if (seen) {
    await writer.shutdown();
    console.log(JSON.stringify({ written: changes }));
    process.exit(0);
  }
}
fail("the relay never had the change");
