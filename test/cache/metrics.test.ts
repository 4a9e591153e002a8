// What the cache did, counted for Prometheus: portcullis_policy_events_total{policy="cache", event=...}.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type CacheHarness, startCacheHarness } from "./harness.ts";

let h: CacheHarness;
before(async () => {
  h = await startCacheHarness();
});
after(() => h.close());

async function events(): Promise<Record<string, number>> {
  const text = await (await fetch(`${h.gw.adminUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^portcullis_policy_events_total\{policy="cache",event="([^"]+)"\} (\d+)$/gm))
    out[m[1]] = Number(m[2]);
  return out;
}

test("hits, misses, revalidations, refetches, stale answers and bypasses are counted", async () => {
  const fresh = h.path();
  h.script(fresh, { headers: { "cache-control": "max-age=60" } });
  await h.get(fresh); // miss
  await h.get(fresh); // hit
  await h.get(fresh); // hit
  await h.get(fresh, { "cache-control": "no-store" }); // bypass
  const stale = h.path();
  h.script(
    stale,
    { headers: { "cache-control": "max-age=1, stale-if-error=60", age: "5", etag: '"s"' } },
    { status: 304, headers: { etag: '"s"', "cache-control": "max-age=0" } },
    { headers: { "cache-control": "max-age=1, stale-if-error=60", age: "5", etag: '"t"' } },
    { status: 503 },
  );
  await h.get(stale); // miss
  await h.get(stale); // revalidated (304, which leaves it stale: max-age=0)
  await h.get(stale); // refetched (200)
  await h.get(stale); // stale-if-error
  assert.deepEqual(await events(), {
    bypass: 1,
    hit: 2,
    miss: 2,
    refetched: 1,
    revalidated: 1,
    "stale-if-error": 1,
  });
});
