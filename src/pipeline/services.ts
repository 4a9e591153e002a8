// The PolicyServices one plan's policy factories get, and what the plan keeps of them: the shared
// resources it holds (released with the plan) and the warm-ups to run before it serves.
import type { Consumers } from "../consumers/directory.ts";
import { SharedResources } from "./shared-resources.ts";
import type { Closable, PolicyServices, RedisSettings } from "./types.ts";

export type LogFn = (
  level: "info" | "warn" | "error",
  message: string,
  fields?: Record<string, unknown>,
) => void;

export interface WarmUp {
  readonly name: string;
  run(): Promise<void>;
}

export interface PlanServices {
  readonly services: PolicyServices;
  /** Keys of the shared resources this plan holds. */
  readonly held: string[];
  readonly warmUps: WarmUp[];
  readonly resources: SharedResources;
}

export type CountFn = (policy: string, event: string) => void;

export function planServices(
  consumers: Consumers,
  resources = new SharedResources(),
  log: LogFn = () => {},
  count: CountFn = () => {},
  redis?: RedisSettings,
) {
  const held: string[] = [];
  const warmUps: WarmUp[] = [];
  // Warm-ups registered right after a shared() call belong to that resource (run once for all plans).
  let lastKey: string | undefined;
  const services: PolicyServices = {
    consumers,
    shared<T extends Closable>(key: string, create: () => T): T {
      held.push(key);
      lastKey = key;
      return resources.acquire(key, create);
    },
    warmUp(name, task) {
      const key = lastKey;
      warmUps.push({ name, run: () => resources.warmOnce(key, name, task) });
    },
    log,
    count,
    redis,
  };
  return { services, held, warmUps, resources } satisfies PlanServices;
}

/** Runs every warm-up, each bounded by `timeoutMs`; failures are reported, never thrown. */
export async function runWarmUps(
  warmUps: readonly WarmUp[],
  timeoutMs: number,
  log: LogFn,
): Promise<{ ok: number; failed: number }> {
  let failed = 0;
  await Promise.all(
    warmUps.map(async (w) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not done within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([w.run(), timeout]);
      } catch (err) {
        failed++;
        log("warn", "warm-up failed; the gateway serves and retries on demand", {
          warmUp: w.name,
          error: (err as Error).message,
        });
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ok: warmUps.length - failed, failed };
}
