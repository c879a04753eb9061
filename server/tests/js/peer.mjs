// Unmodified automerge-repo 2.5.6 peers signed in to Outpost's relay, for client.mjs and
// write.mjs. Reads RELAY, USERNAME and PASSWORD from the environment.
import http from "node:http";
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const { RELAY, USERNAME, PASSWORD } = process.env;

// Prints why to stderr, as `script`, and exits 1.
export function failing(script) {
  return (why) => {
    console.error(`${script}: ${why}`);
    process.exit(1);
  };
}

// Each peer is a device of its own: it signs in the way the app does (device ids are
// "device-…") and the relay answers with the session cookie. A busy relay may answer "try
// again" (5xx): it is tried again, a few times.
const cookies = new Map();
async function signIn(device, fail) {
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

// A browser sends the cookie with the WebSocket upgrade by itself; node's `ws`, which the
// adapter constructs with the URL alone, is given it here without touching the adapter: the
// URL names the device (the relay ignores the query) and the upgrade request carries its cookie.
const request = http.request;
http.request = (options, ...rest) => {
  const device = new URLSearchParams(String(options.path).split("?")[1]).get("device");
  const cookie = cookies.get(device);
  return request(cookie ? { ...options, headers: { ...options.headers, cookie } } : options, ...rest);
};

// A new peer named `name`, signed in and connected to the relay; `fail` is called if it
// cannot sign in.
const sync = `${RELAY.replace(/^http/, "ws")}/sync`;
export async function peer(name, fail) {
  const device = `device-js-${name}-${process.pid}`;
  await signIn(device, fail);
  const network = [new WebSocketClientAdapter(`${sync}?device=${device}`)];
  return new Repo({ network, peerId: device });
}
