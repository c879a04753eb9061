// An unmodified automerge-repo 2.5.6 peer writing into a record the way any JS integration
// does: plain JS values, so strings become collaborative text (automerge-repo uses Automerge's
// `next` API). For the end-to-end test tests/tests/foreign_peer.rs.
//
//   RELAY=http://127.0.0.1:PORT USERNAME=… PASSWORD=… DOCUMENT=<id> CHANGES='{"title": "…"}' node write.mjs
//
// Sets each field of CHANGES on the document's root, waits until a fresh peer fetching the
// document from the relay sees the change, then prints {"written": CHANGES} and exits 0; on
// any failure prints the reason to stderr and exits 1.
import { failing, peer } from "./peer.mjs";

const { DOCUMENT, CHANGES } = process.env;
const changes = JSON.parse(CHANGES);
const fail = failing("write.mjs");
setTimeout(() => fail("timed out after 60 s"), 60_000).unref();
const url = `automerge:${DOCUMENT}`;
const same = (doc) => Object.entries(changes).every(([key, value]) => JSON.stringify(doc[key]) === JSON.stringify(value));

const writer = await peer("w", fail);
const handle = await writer.find(url);
handle.change((doc) => Object.assign(doc, changes));

for (let attempt = 0; attempt < 100; attempt++) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  const fresh = await peer(`r${attempt}`, fail);
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
