// Replaces a policy of the table with a stand-in for one test file (its schema and phase kept, its
// factory swapped), to drive the gateway with behaviour no real policy has (a fault, a capture probe).
import type { PolicyContext, PolicyDefinition, PolicyHooks } from "../../src/pipeline/types.ts";
import { POLICIES } from "../../src/policies/index.ts";

/** Returns the function that puts the real policy back. */
export function standInPolicy(
  name: string,
  create: (options: unknown, ctx: PolicyContext) => PolicyHooks,
): () => void {
  const table = POLICIES as unknown as Record<string, PolicyDefinition<unknown>>;
  const original = table[name];
  table[name] = { ...original, create };
  return () => {
    table[name] = original;
  };
}
