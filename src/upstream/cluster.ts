// An upstream as the plan sees it: its targets' pools and a balancer. Round robin for now; the
// resilience issue brings weighted, least-request and hashing balancers, health and breakers.
import type { Pool } from "undici";
import type { UpstreamConfig } from "../config/schema.ts";
import type { PoolRegistry } from "./pools.ts";

export interface Target {
  /** host:port, for logs and metrics. */
  readonly address: string;
  readonly pool: Pool;
  readonly weight: number;
}

export interface UpstreamTimeouts {
  readonly connectMs: number;
  readonly responseHeadersMs: number;
  readonly bodyIdleMs: number;
}

export const DEFAULT_UPSTREAM_TIMEOUTS: UpstreamTimeouts = Object.freeze({
  connectMs: 5_000,
  responseHeadersMs: 30_000,
  bodyIdleMs: 30_000,
});

export class UpstreamCluster {
  readonly name: string;
  readonly targets: readonly Target[];
  readonly timeouts: UpstreamTimeouts;
  readonly http2: boolean;
  /** Weighted round robin as a precomputed sequence of target indexes. */
  readonly #sequence: Uint16Array;
  #next = 0;

  constructor(config: UpstreamConfig, registry: PoolRegistry) {
    this.name = config.name;
    this.http2 = config.http2 === true;
    this.timeouts = Object.freeze({ ...DEFAULT_UPSTREAM_TIMEOUTS, ...config.timeouts });
    this.targets = Object.freeze(
      config.targets.map((t) => {
        const url = new URL(t.url);
        const pool = registry.acquire({
          origin: url.origin,
          connections: config.connections ?? 256,
          keepAliveTimeoutMs: config.keepAliveTimeoutMs ?? 4_000,
          connectTimeoutMs: this.timeouts.connectMs,
          http2: this.http2,
          ...(config.tls ? { tls: config.tls } : {}),
        });
        return { address: url.host, pool, weight: t.weight ?? 1 };
      }),
    );
    this.#sequence = interleave(this.targets.map((t) => t.weight));
  }

  pick(): Target {
    const seq = this.#sequence;
    const i = this.#next;
    this.#next = i + 1 === seq.length ? 0 : i + 1;
    return this.targets[seq[i]];
  }

  release(registry: PoolRegistry): void {
    for (const t of this.targets) registry.release(t.pool);
  }
}

/** Smooth weighted round robin (nginx's): spreads a heavy target's turns instead of bunching them. */
function interleave(weights: number[]): Uint16Array {
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const out = new Uint16Array(total);
  for (let n = 0; n < total; n++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i] += weights[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    out[n] = best;
  }
  return out;
}
