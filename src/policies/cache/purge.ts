// Purge for the admin listener: removes stored responses from every cache store the gateway holds (the
// memory store, and Redis, which every gateway sharing it sees at once). A key takes its Vary variants
// with it.
import { variantPrefix } from "./key.ts";
import type { CacheStore } from "./stores/types.ts";

export type PurgeKind = "key" | "prefix" | "tag";

function isCacheStore(x: unknown): x is CacheStore {
  const s = x as Partial<CacheStore>;
  return (
    typeof s.purgeTag === "function" && typeof s.purgePrefix === "function" && typeof s.delete === "function"
  );
}

/** Removes what `kind`/`value` names from every cache store among `resources`; returns how many entries. */
export async function purgeCaches(
  resources: Iterable<unknown>,
  kind: PurgeKind,
  value: string,
): Promise<number> {
  let removed = 0;
  for (const store of resources) {
    if (!isCacheStore(store)) continue;
    removed +=
      kind === "key"
        ? Number(await store.delete(value)) + (await store.purgePrefix(variantPrefix(value)))
        : kind === "prefix"
          ? await store.purgePrefix(value)
          : await store.purgeTag(value);
  }
  return removed;
}
