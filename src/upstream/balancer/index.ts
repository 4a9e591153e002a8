// Load balancers for an upstream's targets. See docs/upstream/balancing.md.
import { LeastRequestBalancer } from "./least-request.ts";
import {
  DEFAULT_MAX_RING_SIZE,
  DEFAULT_POINTS_PER_WEIGHT,
  MAX_RING_SIZE,
  RingHashBalancer,
} from "./ring-hash.ts";
import { SequenceBalancer } from "./sequence.ts";
import type { Balancer, BalancerKind, BalancerOptions, BalancerTarget } from "./types.ts";

export { hash32 } from "./hash32.ts";
export type { Balancer, BalancerKind, BalancerOptions, BalancerTarget } from "./types.ts";
export { BALANCER_KINDS } from "./types.ts";

/** Target indexes are kept in Uint16Arrays. */
const MAX_TARGETS = 65_535;

/** Builds a balancer once per plan; throws RangeError on a target list no config should produce. */
export function createBalancer<T extends BalancerTarget>(
  kind: BalancerKind,
  targets: readonly T[],
  opts: BalancerOptions<T> = {},
): Balancer<T> {
  checkTargets(targets);
  const list = Object.freeze([...targets]);
  const random = opts.random ?? Math.random;
  switch (kind) {
    case "round-robin":
    case "weighted":
      return new SequenceBalancer(kind, list, random);
    case "least-request":
      if (opts.inflight === undefined) throw new RangeError("least-request needs an inflight counter");
      return new LeastRequestBalancer(list, opts.inflight, random);
    case "hash": {
      const perWeight = opts.pointsPerWeight ?? DEFAULT_POINTS_PER_WEIGHT;
      const max = opts.maxRingSize ?? DEFAULT_MAX_RING_SIZE;
      if (!Number.isInteger(perWeight) || perWeight < 1) throw new RangeError("pointsPerWeight must be >= 1");
      if (!Number.isInteger(max) || max < 1 || max > MAX_RING_SIZE) {
        throw new RangeError(`maxRingSize must be 1..${MAX_RING_SIZE}`);
      }
      return new RingHashBalancer(list, perWeight, max);
    }
    default:
      throw new RangeError(`unknown balancer kind: ${String(kind)}`);
  }
}

function checkTargets(targets: readonly BalancerTarget[]): void {
  if (targets.length > MAX_TARGETS) throw new RangeError(`at most ${MAX_TARGETS} targets per balancer`);
  const ids = new Set<string>();
  for (const t of targets) {
    if (!Number.isInteger(t.weight) || t.weight < 1) {
      throw new RangeError(`target ${t.id}: weight must be a positive integer, got ${t.weight}`);
    }
    // Two targets with one id would share ring points and be indistinguishable in state registries.
    if (ids.has(t.id)) throw new RangeError(`target ${t.id} is listed twice`);
    ids.add(t.id);
  }
}
