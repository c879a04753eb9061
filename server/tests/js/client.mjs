// An unmodified automerge-repo 2.5.6 peer against Outpost's relay, for
// server/tests/automerge_repo.rs. It signs in as a person, fetches a record the relay holds,
// edits one field and checks, with a second fresh peer, that the relay kept the edit.
//
//   RELAY=http://127.0.0.1:PORT USERNAME=… PASSWORD=… DOCUMENT=<id> TITLE=<new title> node client.mjs
//
// Prints one JSON line {"fetched": <title seen first>, "refetched": <title a fresh peer sees>}
// and exits 0; on any failure prints the reason to stderr and exits 1.
import { ImmutableString } from "@automerge/automerge-repo";
import { failing, peer } from "./peer.mjs";

const { DOCUMENT, TITLE } = process.env;
const fail = failing("client.mjs");
setTimeout(() => fail("timed out after 60 s"), 60_000).unref();
const url = `automerge:${DOCUMENT}`;

const first = await peer("a", fail);
const handle = await first.find(url);
const fetched = String(handle.doc().title);
handle.change((doc) => {
  // A plain string, as the app writes it (the engine reads collaborative text as well).
  doc.title = new ImmutableString(TITLE);
});

// A peer with nothing stored sees the edit only once the relay has it.
let refetched;
for (let attempt = 0; attempt < 100; attempt++) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  const fresh = await peer(`b${attempt}`, fail);
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
