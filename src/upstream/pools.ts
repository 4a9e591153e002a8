// undici connection pools, shared across plans: a reload that keeps a target's settings keeps its warm
// connections. Pools are reference-counted by the plans using them and closed when the last one retires.
import { readFileSync } from "node:fs";
import { Pool } from "undici";
import type { UpstreamConfig } from "../config/schema.ts";

export interface PoolSettings {
  origin: string;
  connections: number;
  keepAliveTimeoutMs: number;
  connectTimeoutMs: number;
  http2: boolean;
  tls?: UpstreamConfig["tls"];
}

interface Entry {
  pool: Pool;
  refs: number;
}

export class PoolRegistry {
  readonly #pools = new Map<string, Entry>();

  acquire(settings: PoolSettings): Pool {
    const key = JSON.stringify(settings);
    let entry = this.#pools.get(key);
    if (entry === undefined) {
      entry = { pool: createPool(settings), refs: 0 };
      this.#pools.set(key, entry);
    }
    entry.refs++;
    return entry.pool;
  }

  release(pool: Pool): void {
    for (const [key, entry] of this.#pools) {
      if (entry.pool !== pool) continue;
      if (--entry.refs === 0) {
        this.#pools.delete(key);
        // close() lets requests in flight finish; destroy() would cut them.
        entry.pool.close().catch(() => {});
      }
      return;
    }
  }

  get size(): number {
    return this.#pools.size;
  }

  async closeAll(): Promise<void> {
    const all = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.allSettled(all.map((e) => e.pool.close()));
  }
}

function createPool(s: PoolSettings): Pool {
  const https = s.origin.startsWith("https:");
  const ca = s.tls?.ca ? readFileSync(s.tls.ca) : undefined;
  // `useH2c` is accepted by Pool (it forwards options to each Client) but missing from Pool's typings.
  const options: Pool.Options & { useH2c?: boolean } = {
    connections: s.connections,
    pipelining: 1,
    keepAliveTimeout: s.keepAliveTimeoutMs,
    keepAliveMaxTimeout: Math.max(s.keepAliveTimeoutMs, 600_000),
    // Per-request timeouts are passed with each dispatch (they differ per route).
    headersTimeout: 0,
    bodyTimeout: 0,
    allowH2: s.http2,
    useH2c: s.http2 && !https,
    connect: {
      timeout: s.connectTimeoutMs,
      ...(https
        ? {
            rejectUnauthorized: s.tls?.insecureSkipVerify !== true,
            ...(ca ? { ca } : {}),
            ...(s.tls?.serverName ? { servername: s.tls.serverName } : {}),
          }
        : {}),
    },
  };
  return new Pool(s.origin, options);
}
