// A route's policy chain, compiled once per plan: hooks sorted by phase then priority, empty lists
// dropped so a route without policies pays nothing.
import { POLICIES } from "../policies/index.ts";
import {
  type LocalReply,
  PHASES,
  type PolicyContext,
  type PolicyHooks,
  type RequestView,
  type ResponseView,
} from "./types.ts";

export interface PolicyInstance {
  readonly name: string;
  readonly hooks: PolicyHooks;
  readonly phaseIndex: number;
  readonly priority: number;
}

export interface Chain {
  /** Request hooks in run order, or undefined when there are none. */
  readonly onRequest: ReadonlyArray<NonNullable<PolicyHooks["onRequest"]>> | undefined;
  /** Response hooks in run order (reverse of the request order), or undefined. */
  readonly onResponse: ReadonlyArray<NonNullable<PolicyHooks["onResponse"]>> | undefined;
  readonly names: readonly string[];
}

export const EMPTY_CHAIN: Chain = Object.freeze({ onRequest: undefined, onResponse: undefined, names: [] });

/** Instantiate one policy from its options; `ctx.path` is where the options sit in the config. */
export function createPolicy(name: string, options: unknown, ctx: PolicyContext): PolicyInstance {
  const def = (POLICIES as Record<string, (typeof POLICIES)[keyof typeof POLICIES]>)[name];
  if (def === undefined) throw new Error(`unknown policy "${name}" at ${ctx.path}`);
  const hooks = (def.create as (o: unknown, c: PolicyContext) => PolicyHooks)(options, ctx);
  return { name, hooks, phaseIndex: PHASES.indexOf(def.phase), priority: def.priority };
}

export function buildChain(instances: PolicyInstance[]): Chain {
  if (instances.length === 0) return EMPTY_CHAIN;
  const sorted = [...instances].sort((a, b) => a.phaseIndex - b.phaseIndex || b.priority - a.priority);
  const req = sorted.flatMap((p) => (p.hooks.onRequest ? [p.hooks.onRequest.bind(p.hooks)] : []));
  const res = sorted.reverse().flatMap((p) => (p.hooks.onResponse ? [p.hooks.onResponse.bind(p.hooks)] : []));
  return Object.freeze({
    onRequest: req.length > 0 ? req : undefined,
    onResponse: res.length > 0 ? res : undefined,
    names: sorted.map((p) => p.name).reverse(),
  });
}

type MaybeReply = LocalReply | undefined;

/**
 * Runs request hooks in order until one returns a reply. Stays synchronous while the hooks are, so a
 * chain of synchronous policies costs no promise per request.
 */
export function runRequestHooks(chain: Chain, req: RequestView): MaybeReply | Promise<MaybeReply> {
  const hooks = chain.onRequest;
  if (hooks === undefined) return undefined;
  for (let i = 0; i < hooks.length; i++) {
    const out = hooks[i](req);
    if (out === undefined) continue;
    if (out instanceof Promise) return continueAsync(hooks, i, out, req);
    return out;
  }
  return undefined;
}

async function continueAsync(
  hooks: ReadonlyArray<NonNullable<PolicyHooks["onRequest"]>>,
  index: number,
  pending: Promise<MaybeReply>,
  req: RequestView,
): Promise<MaybeReply> {
  const first = await pending;
  if (first !== undefined) return first;
  for (let i = index + 1; i < hooks.length; i++) {
    const out = await hooks[i](req);
    if (out !== undefined) return out;
  }
  return undefined;
}

export function runResponseHooks(chain: Chain, req: RequestView, res: ResponseView): void {
  const hooks = chain.onResponse;
  if (hooks === undefined) return;
  for (let i = 0; i < hooks.length; i++) hooks[i](req, res);
}
