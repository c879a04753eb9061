// An unmodified automerge-repo 2.5.6 peer whose write the relay refuses, for
// server/tests/automerge_repo.rs: it signs in as a person who may only read, fetches a record,
// edits its title (refused), and then must still receive another person's change to the record
// on the same connection.
//
//   RELAY=http://127.0.0.1:PORT USERNAME=… PASSWORD=… DOCUMENT=<id> TITLE=<new title> node refused.mjs
//
// Prints "edited" once its edit is made (the test then changes the record's assignee on the
// relay), then one JSON line {"assignee": <seen>, "title": <its own copy's>, "disconnects": n}
// once the assignee arrives, and exits 0; on any failure prints the reason and exits 1.
import http from "node:http";
import { ImmutableString, Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const { RELAY, USERNAME, PASSWORD, DOCUMENT, TITLE } = process.env;
const fail = (why) => {
  console.error(`refused.mjs: ${why}`);
  process.exit(1);
};
setTimeout(() => fail("timed out after 60 s"), 60_000).unref();

const device = `device-js-refused-${process.pid}`;
const response = await fetch(`${RELAY}/api/session`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ username: USERNAME, password: PASSWORD, device }),
});
if (!response.ok) fail(`sign-in: ${response.status} ${await response.text()}`);
const cookie = response.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
// As in client.mjs: node's `ws` is given the session cookie with the upgrade request.
const request = http.request;
http.request = (options, ...rest) =>
  request({ ...options, headers: { ...options.headers, cookie } }, ...rest);

const network = [new WebSocketClientAdapter(`${RELAY.replace(/^http/, "ws")}/sync`)];
const repo = new Repo({ network, peerId: device });
let disconnects = 0;
repo.networkSubsystem.on("peer-disconnected", () => disconnects++);

const handle = await repo.find(`automerge:${DOCUMENT}`);
handle.change((doc) => {
  doc.title = new ImmutableString(TITLE);
});
console.log("edited");

const seen = () => String(handle.doc().assignee ?? "");
while (seen() === "") {
  await new Promise((resolve) => setTimeout(resolve, 100));
}
console.log(JSON.stringify({ assignee: seen(), title: String(handle.doc().title), disconnects }));
await repo.shutdown();
process.exit(0);
