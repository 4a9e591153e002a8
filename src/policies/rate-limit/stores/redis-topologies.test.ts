// The Cluster and Sentinel forms of the connection spec, against private redis-server processes of this
// test (a one-node cluster holding every slot; a master watched by one sentinel) on free loopback ports,
// in a temporary directory. Skipped where redis-server is not installed.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { RedisStore, type RedisStoreOptions, StoreUnavailableError } from "./redis.ts";
import { closedPort } from "./test-proxy.ts";
import type { LimitSpec } from "./types.ts";

const installed = spawnSync("redis-server", ["--version"]).status === 0;
const TIMEOUT = 100;
const spec: LimitSpec = { kind: "sliding-window", limit: 20, windowMs: 60_000 };

const dirs: string[] = [];
const procs = new Set<ChildProcess>();
after(async () => {
  for (const p of procs) p.kill("SIGKILL");
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function workDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "portcullis-redis-"));
  dirs.push(dir);
  return dir;
}

/** Starts redis-server with `args` and waits until `port` answers PING. */
async function server(port: number, args: string[]): Promise<ChildProcess> {
  const proc = spawn("redis-server", args, { stdio: "ignore" });
  procs.add(proc);
  proc.on("exit", () => procs.delete(proc));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: null });
    probe.on("error", () => {});
    try {
      await probe.connect();
      await probe.ping();
      return proc;
    } catch (err) {
      if (Date.now() > deadline || proc.exitCode !== null) throw err;
      await sleep(50);
    } finally {
      probe.disconnect();
    }
  }
}

async function kill(proc: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  proc.kill("SIGKILL");
  await exited;
}

const common = (dir: string, port: number) => [
  "--port",
  String(port),
  "--bind",
  "127.0.0.1",
  "--dir",
  dir,
  "--save",
  "",
  "--appendonly",
  "no",
];

async function exactUnderConcurrency(store: RedisStore): Promise<void> {
  const key = randomUUID();
  const results = await Promise.all(Array.from({ length: 100 }, () => store.take(key, spec, 1)));
  assert.equal(results.filter((d) => d.allowed).length, 20);
  const lease = await store.lease(
    randomUUID(),
    { kind: "token-bucket", limit: 5, windowMs: 60_000, capacity: 5 },
    7,
  );
  assert.equal(lease.granted, 5);
  const quota = await store.quota(randomUUID(), 3, Date.now() + 60_000, 2);
  assert.equal(quota.used, 2);
}

async function boundedThenRecovers(store: RedisStore, restart: () => Promise<void>): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await assert.rejects(store.take(randomUUID(), spec, 1), StoreUnavailableError);
    assert.ok(performance.now() - started < 3 * TIMEOUT);
    await sleep(30);
  }
  await restart();
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await store.take(randomUUID(), spec, 1);
      return;
    } catch (err) {
      assert.ok(err instanceof StoreUnavailableError);
      if (Date.now() > deadline) throw new Error(`no recovery: ${err.reason}`);
      await sleep(50);
    }
  }
}

function open(options: RedisStoreOptions): RedisStore {
  return new RedisStore({ timeoutMs: TIMEOUT, reconnectMaxDelayMs: 300, ...options } as RedisStoreOptions);
}

describe("redis store: cluster form", { skip: !installed && "redis-server is not installed" }, () => {
  test("runs every script on a cluster node, bounded while the node is down, back after its restart", async () => {
    const dir = await workDir();
    const [port, bus] = [await closedPort(), await closedPort()];
    const args = [
      ...common(dir, port),
      "--cluster-enabled",
      "yes",
      "--cluster-port",
      String(bus),
      // A lone node does not learn its own address; without this CLUSTER SLOTS names no host.
      "--cluster-announce-ip",
      "127.0.0.1",
      "--cluster-config-file",
      join(dir, "nodes.conf"),
    ];
    let proc = await server(port, args);
    const admin = new Redis({ port, host: "127.0.0.1" });
    await admin.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
    while (!String(await admin.call("CLUSTER", "INFO")).includes("cluster_state:ok")) await sleep(50);
    admin.disconnect();

    const store = open({ cluster: [{ host: "127.0.0.1", port }], prefix: "rl:" });
    try {
      assert.equal(await store.ready(10_000), true);
      await exactUnderConcurrency(store);
      await kill(proc);
      await boundedThenRecovers(store, async () => {
        proc = await server(port, args);
      });
    } finally {
      await store.close();
    }
  });
});

describe("redis store: sentinel form", { skip: !installed && "redis-server is not installed" }, () => {
  test("finds the master through a sentinel, bounded while it is down, back after its restart", async () => {
    const dir = await workDir();
    const [port, sentinelPort] = [await closedPort(), await closedPort()];
    const args = common(dir, port);
    let master = await server(port, args);
    const config = join(dir, "sentinel.conf");
    await writeFile(
      config,
      [
        `port ${sentinelPort}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `sentinel monitor portcullis 127.0.0.1 ${port} 1`,
        "sentinel down-after-milliseconds portcullis 60000",
        "",
      ].join("\n"),
    );
    await server(sentinelPort, [config, "--sentinel"]);

    const store = open({
      sentinels: [{ host: "127.0.0.1", port: sentinelPort }],
      name: "portcullis",
      db: 3,
      prefix: "rl:",
    });
    try {
      assert.equal(await store.ready(10_000), true);
      await exactUnderConcurrency(store);
      const direct = new Redis({ port, host: "127.0.0.1", db: 3 });
      assert.ok((await direct.dbsize()) > 0, "the store wrote to the configured db");
      direct.disconnect();
      await kill(master);
      await boundedThenRecovers(store, async () => {
        master = await server(port, args);
      });
    } finally {
      await store.close();
    }
  });
});
