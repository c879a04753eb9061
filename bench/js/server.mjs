// The automerge-repo reference sync server, as @automerge/automerge-repo-sync-server sets it up
// (a Repo on NodeFS storage behind a `ws` server; it announces nothing and syncs only what a
// peer asks for by id), bound to loopback. Usage: node server.mjs PORT STORAGE_DIR
import { Repo } from "@automerge/automerge-repo"
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import { WebSocketServer } from "ws"

const [port, dir] = process.argv.slice(2)
if (!port || !dir) throw new Error("usage: node server.mjs PORT STORAGE_DIR")
const socket = new WebSocketServer({ host: "127.0.0.1", port: Number(port) })
new Repo({
  network: [new NodeWSServerAdapter(socket)],
  storage: new NodeFSStorageAdapter(dir),
  peerId: "reference-sync-server",
  sharePolicy: async () => false,
})
socket.on("listening", () => console.log(`reference sync server listening on 127.0.0.1:${port}`))
process.on("SIGTERM", () => process.exit(0))
