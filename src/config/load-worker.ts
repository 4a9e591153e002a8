// The worker side of OffThreadLoader: reading, parsing and validating a config file happens here, off
// the event loop that serves requests. The last file's positions are kept to answer `locate` for
// issues found later by the compile step on the main thread.
import { parentPort } from "node:worker_threads";
import { type ConfigSource, loadConfigFile, locate } from "./load.ts";
import type { WorkerReply, WorkerRequest } from "./off-thread-loader.ts";

let last: ConfigSource | undefined;
const port = parentPort;
if (port === null) throw new Error("load-worker.ts must run as a worker thread");

port.on("message", (msg: WorkerRequest) => {
  void handle(msg).then(
    (reply) => port.postMessage(reply),
    (err: unknown) => port.postMessage({ id: msg.id, kind: "fault", message: (err as Error).message }),
  );
});

async function handle(msg: WorkerRequest): Promise<WorkerReply> {
  if (msg.kind === "load") {
    const result = await loadConfigFile(msg.file);
    last = result.ok ? result.source : undefined;
    return result.ok
      ? { id: msg.id, kind: "loaded", json: JSON.stringify(result.config) }
      : { id: msg.id, kind: "invalid", errors: result.errors };
  }
  const source = last;
  return {
    id: msg.id,
    kind: "located",
    positions: msg.pointers.map((p) => (source ? locate(source, p) : { line: 1, column: 1 })),
  };
}
