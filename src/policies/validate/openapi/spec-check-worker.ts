// The worker side of checkSpecification: runs @readme/openapi-parser's (asynchronous) validation of one
// document, posts the outcome and wakes the waiting thread through the shared flag.
import { type MessagePort, workerData } from "node:worker_threads";
import type { SpecVerdict } from "./spec-check.ts";

const { doc, port, flag } = workerData as { doc: object; port: MessagePort; flag: Int32Array };

let verdict: SpecVerdict;
try {
  const { validate, compileErrors } = await import("@readme/openapi-parser");
  // `external: false`: a gateway does not fetch or read other files while loading its config; a $ref
  // outside the document is then reported by the compile step on the main thread.
  const result = await validate(doc as Parameters<typeof validate>[0], { resolve: { external: false } });
  verdict = result.valid ? { valid: true } : { valid: false, message: compileErrors(result) };
} catch (err) {
  verdict = { valid: false, message: (err as Error).message };
}
port.postMessage(verdict);
Atomics.store(flag, 0, 1);
Atomics.notify(flag, 0);
