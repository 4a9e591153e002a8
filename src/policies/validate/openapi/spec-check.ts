// Checks an OpenAPI document against the specification with @readme/openapi-parser. The parser is
// asynchronous and a policy factory is not, so it runs on a short-lived worker thread while this thread
// waits on a shared flag: the wait happens when a plan is compiled, never on the request path. Verdicts
// are kept by content hash, so a reload that leaves a document unchanged does not check it again.
import { createHash } from "node:crypto";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";

export type SpecVerdict = { valid: true } | { valid: false; message: string };

const WORKER = new URL("./spec-check-worker.ts", import.meta.url);
const TIMEOUT_MS = 30_000;
const KEPT = 32;
const verdicts = new Map<string, SpecVerdict>();

function remember(key: string, verdict: SpecVerdict): SpecVerdict {
  if (verdicts.size >= KEPT) verdicts.delete(verdicts.keys().next().value as string);
  verdicts.set(key, verdict);
  return verdict;
}

function runWorker(doc: object): SpecVerdict {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER, { workerData: { doc, port: port2, flag }, transferList: [port2] });
  worker.unref();
  try {
    const woke = Atomics.wait(flag, 0, 0, TIMEOUT_MS);
    const reply = receiveMessageOnPort(port1)?.message as SpecVerdict | undefined;
    if (reply !== undefined) return reply;
    return {
      valid: false,
      message:
        woke === "timed-out"
          ? `checking the document took longer than ${TIMEOUT_MS / 1000} s`
          : "the document checker stopped without an answer",
    };
  } finally {
    port1.close();
    void worker.terminate();
  }
}

/** The parser's verdict on a parsed document; `text` is the file's content (the cache key). */
export function checkSpecification(doc: object, text: string): SpecVerdict {
  const key = createHash("sha256").update(text).digest("hex");
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  const verdict = runWorker(doc);
  // A timeout may be a slow machine under load: not remembered, so the next load tries again.
  return verdict.valid || !verdict.message.startsWith("checking the document took")
    ? remember(key, verdict)
    : verdict;
}
