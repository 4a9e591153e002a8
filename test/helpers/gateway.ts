// Starts a real gateway (all listeners and the admin listener on port 0) from a config object written
// to a temporary YAML file, with logs captured in memory. Tests close it in `after`/`t.after`.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { stringify } from "yaml";
import { type Gateway, startGateway } from "../../src/gateway.ts";
import { createLogger } from "../../src/observability/logger.ts";

export interface TestGateway {
  gateway: Gateway;
  /** http://127.0.0.1:PORT of the first listener. */
  url: string;
  port: number;
  /** Ports of every listener by name. */
  ports: Record<string, number>;
  adminUrl: string;
  file: string;
  /** Every log line written so far, parsed. */
  logs(): Record<string, unknown>[];
  /** Raw text of the log. */
  logText(): string;
  /** Rewrites the config file (a reload then follows from the file watcher or gateway.reload()). */
  rewrite(config: unknown): Promise<void>;
  close(): Promise<void>;
}

export interface TestConfigInput {
  upstreams: unknown[];
  routes: unknown[];
  [key: string]: unknown;
}

export function baseConfig(input: TestConfigInput): Record<string, unknown> {
  return {
    version: 1,
    listeners: [{ name: "public", address: "127.0.0.1", port: 0, http2: false }],
    admin: { address: "127.0.0.1", port: 0 },
    ...input,
  };
}

export async function startTestGateway(
  config: Record<string, unknown>,
  opts: { watch?: boolean } = {},
): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), "portcullis-test-"));
  const file = join(dir, "gateway.yaml");
  await writeFile(file, stringify(config));
  let text = "";
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ level: "info", format: "ecs", destination: sink, sync: true });
  const gateway = await startGateway({ configFile: file, watch: opts.watch ?? false, logger, adminPort: 0 });
  const ports: Record<string, number> = {};
  for (const l of gateway.listeners) ports[l.name] = l.port;
  const port = gateway.listeners[0].port;
  return {
    gateway,
    url: `http://127.0.0.1:${port}`,
    port,
    ports,
    adminUrl: `http://127.0.0.1:${gateway.admin?.port}`,
    file,
    logText: () => text,
    logs: () =>
      text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    rewrite: (next: unknown) => writeFile(file, stringify(next)),
    async close() {
      await gateway.shutdown(2_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
