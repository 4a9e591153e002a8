// What a rate-limit decision costs in each store: the memory store's work per call, and the Redis store's
// round trip (one EVALSHA), awaited one at a time and with 50 calls in flight (throughput per call when
// many requests share the connection). Uses the Redis at --url under a random prefix and deletes its keys.
// Run: node_modules/.bin/node bench/rate-limit-store.bench.ts [--iterations 20000] [--url redis://127.0.0.1:6379]
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { MemoryStore } from "../src/policies/rate-limit/stores/memory.ts";
import { RedisStore } from "../src/policies/rate-limit/stores/redis.ts";
import type { LimiterStore, LimitSpec } from "../src/policies/rate-limit/stores/types.ts";

const { values } = parseArgs({
  options: {
    iterations: { type: "string", default: "20000" },
    url: { type: "string", default: "redis://127.0.0.1:6379" },
  },
});
const N = Number(values.iterations);
const KEYS = 1000;
const window: LimitSpec = { kind: "sliding-window", limit: 100, windowMs: 1000 };
const bucket: LimitSpec = { kind: "token-bucket", limit: 100, windowMs: 1000, capacity: 100 };

function report(name: string, startedNs: bigint, n: number): void {
  const perOp = Number(process.hrtime.bigint() - startedNs) / n / 1000;
  console.log(`${name.padEnd(48)} ${perOp.toFixed(2).padStart(8)} µs/op`);
}

async function run(
  name: string,
  store: LimiterStore,
  spec: LimitSpec,
  n: number,
  inFlight: number,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      await store.take(`bench-${i % KEYS}`, spec, 1);
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: inFlight }, worker));
  report(name, started, n);
}

function runSync(name: string, store: MemoryStore, spec: LimitSpec, n: number): void {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) store.take(`bench-${i % KEYS}`, spec, 1);
  report(name, started, n);
}

const memory = new MemoryStore();
for (const round of [1, 2]) {
  // The first round warms the JIT; the second is the number to read.
  const n = round === 1 ? N : N * 10;
  console.log(`round ${round}`);
  runSync("memory take, sliding window (1000 keys)", memory, window, n);
  runSync("memory take, token bucket (1000 keys)", memory, bucket, n);
}

const admin = new Redis(values.url);
await admin.ping();
for (const n of [Math.min(N, 2000), N]) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await admin.ping();
  if (n === N) report("redis PING, sequential (the round-trip floor)", started, n);
}

const prefix = `bench:rl:${randomUUID()}:`;
const redis = new RedisStore({ url: values.url, prefix, timeoutMs: 1000 });
if (!(await redis.ready(5000))) throw new Error("bench: Redis is not reachable");
await run("redis take, sliding window, warm-up", redis, window, Math.min(N, 2000), 1);
await run("redis take, sliding window, sequential", redis, window, N, 1);
await run("redis take, token bucket, sequential", redis, bucket, N, 1);
await run("redis take, sliding window, 50 in flight", redis, window, N * 5, 50);
await run("redis take, token bucket, 50 in flight", redis, bucket, N * 5, 50);
await redis.close();

const keys = await admin.keys(`${prefix}*`);
for (let i = 0; i < keys.length; i += 500) await admin.del(...keys.slice(i, i + 500));
admin.disconnect();
