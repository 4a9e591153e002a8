// The immutable runtime plan a request reads once and keeps. State that must outlive a reload (pools
// now; breakers, health, counters later) lives in registries outside it, keyed by stable ids.
import type { Consumers } from "../consumers/directory.ts";
import type { Chain } from "../pipeline/chain.ts";
import type { PlanServices } from "../pipeline/services.ts";
import type { LocalReply } from "../pipeline/types.ts";
import type { Router } from "../routing/types.ts";
import type { TrustFn } from "../server/forwarded.ts";
import type { UpstreamCluster, UpstreamTimeouts } from "../upstream/cluster.ts";
import type { RouteRetry } from "../upstream/proxy.ts";
import type { Hygiene, Limits } from "./defaults.ts";
import type { Config } from "./schema.ts";

export interface CompiledRoute {
  readonly name: string;
  readonly upstream: UpstreamCluster;
  readonly chain: Chain;
  readonly timeouts: UpstreamTimeouts;
  readonly preserveHost: boolean;
  readonly retry: RouteRetry | undefined;
  /** Answers when no target of the upstream can: a static reply, or another upstream. */
  readonly fallback:
    | { readonly reply: LocalReply; readonly upstream?: undefined }
    | { readonly reply?: undefined; readonly upstream: UpstreamCluster }
    | undefined;
}

export interface RuntimePlan {
  readonly generation: number;
  readonly config: Config;
  readonly router: Router<CompiledRoute>;
  readonly limits: Limits;
  readonly hygiene: Hygiene;
  readonly trust: TrustFn;
  /** Global policies, applied to replies made before a route is known (404, 405, hygiene errors). */
  readonly globalChain: Chain;
  readonly upstreams: ReadonlyMap<string, UpstreamCluster>;
  readonly consumers: Consumers;
  /** Shared policy resources this plan holds and the warm-ups to run before it serves. */
  readonly services: PlanServices;
  /** Requests that started on this plan and have not finished. */
  inflight: number;
  retired: boolean;
}
