// Test helper: a writable stream that keeps every line a logger writes to it.
import { Writable } from "node:stream";

export interface CapturedLog {
  stream: Writable;
  text(): string;
  lines(): Record<string, unknown>[];
}

export function captureLog(): CapturedLog {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const text = () => chunks.join("");
  return {
    stream,
    text,
    lines: () =>
      text()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
