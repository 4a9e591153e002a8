// Three gateway processes sharing the machine's Redis (a key prefix of their own), driven concurrently:
// an exact limit admits at most L and at least 0.99 L; batching mode stays within its stated bound
// L ± N·(B − 1) (docs/policies/rateLimit.md).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Agent, request } from "undici";
import { stringify } from "yaml";
import { startUpstream, type TestUpstream } from "./helpers/upstream.ts";

const GATEWAYS = 3;
const EXACT_LIMIT = 300;
const LEASE_LIMIT = 1200;
const LEASE_SIZE = 3;

let up: TestUpstream;
let dir: string;
const procs: ChildProcess[] = [];
const ports: number[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function ready(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await request(`http://127.0.0.1:${port}/readyz`);
      await res.body.dump();
      if (res.statusCode === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gateway with admin port ${port} never became ready`);
}

before(async () => {
  up = await startUpstream();
  dir = await mkdtemp(join(tmpdir(), "portcullis-cluster-"));
  const prefix = `test:${randomUUID()}:`;
  const node = process.execPath;
  const admins: number[] = [];
  for (let i = 0; i < GATEWAYS; i++) {
    const [port, admin] = [await freePort(), await freePort()];
    const file = join(dir, `gw${i}.yaml`);
    await writeFile(
      file,
      stringify({
        version: 1,
        listeners: [{ name: "public", address: "127.0.0.1", port }],
        admin: { address: "127.0.0.1", port: admin },
        log: { accessLog: false, level: "warn" },
        redis: { url: "redis://127.0.0.1:6379", prefix, timeoutMs: 500 },
        upstreams: [{ name: "up", targets: [{ url: up.url }] }],
        routes: [
          {
            name: "exact",
            match: { path: "/exact" },
            upstream: "up",
            policies: {
              rateLimit: {
                store: "redis",
                failureMode: "closed",
                limits: [{ name: "window", limit: EXACT_LIMIT, windowSec: 300, key: ["route"] }],
              },
            },
          },
          {
            name: "leased",
            match: { path: "/leased" },
            upstream: "up",
            policies: {
              rateLimit: {
                store: "redis",
                failureMode: "closed",
                lease: { size: LEASE_SIZE, ttlMs: 60_000 },
                limits: [{ name: "window", limit: LEASE_LIMIT, windowSec: 300, key: ["route"] }],
              },
            },
          },
        ],
      }),
    );
    const p = spawn(node, ["src/cli.ts", "start", "--config", file, "--no-watch"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    procs.push(p);
    ports.push(port);
    admins.push(admin);
  }
  // Started together: each process spends about a second loading its modules.
  await Promise.all(admins.map(ready));
});

after(async () => {
  for (const p of procs) p.kill("SIGTERM");
  await Promise.all(
    procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once("exit", r)))),
  );
  await up.close();
  await rm(dir, { recursive: true, force: true });
});

/** Sends `total` requests spread round-robin over the gateways, `concurrency` at a time; counts 200s. */
async function drive(
  path: string,
  total: number,
  concurrency = 24,
): Promise<{ ok: number; limited: number }> {
  const agent = new Agent({ connections: 16 });
  let next = 0;
  let ok = 0;
  let limited = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const res = await request(`http://127.0.0.1:${ports[i % ports.length]}${path}`, { dispatcher: agent });
      await res.body.dump();
      if (res.statusCode === 200) ok++;
      else if (res.statusCode === 429) limited++;
      else throw new Error(`unexpected ${res.statusCode}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await agent.close();
  return { ok, limited };
}

test(`exact mode: ${GATEWAYS} gateways admit at most L and at least 0.99 L`, async (t) => {
  const { ok, limited } = await drive("/exact", EXACT_LIMIT * 2);
  t.diagnostic(`exact: L = ${EXACT_LIMIT}, admitted ${ok} of ${EXACT_LIMIT * 2}`);
  assert.ok(ok <= EXACT_LIMIT, `admitted ${ok} > L = ${EXACT_LIMIT}`);
  assert.ok(ok >= 0.99 * EXACT_LIMIT, `admitted ${ok} < 0.99 L`);
  assert.equal(ok + limited, EXACT_LIMIT * 2);
});

test(`batching mode (lease ${LEASE_SIZE}): within L ± N·(B − 1), and at least 0.99 L`, async (t) => {
  const slack = GATEWAYS * (LEASE_SIZE - 1);
  const { ok } = await drive("/leased", Math.round(LEASE_LIMIT * 1.3));
  t.diagnostic(
    `leased: L = ${LEASE_LIMIT}, bound ${LEASE_LIMIT - slack}..${LEASE_LIMIT + slack}, admitted ${ok}`,
  );
  assert.ok(ok <= LEASE_LIMIT + slack, `admitted ${ok} > L + N(B-1) = ${LEASE_LIMIT + slack}`);
  assert.ok(ok >= LEASE_LIMIT - slack && ok >= 0.99 * LEASE_LIMIT, `admitted ${ok} too few`);
});
