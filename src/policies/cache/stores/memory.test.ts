import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { conformance, entry } from "./conformance.ts";
import { ENTRY_OVERHEAD_BYTES, MemoryCacheStore, type MemoryCacheStoreOptions } from "./memory.ts";
import { entryBytes } from "./types.ts";

const T0 = 1_700_000_000_000;

function clocked(options: Omit<MemoryCacheStoreOptions, "now"> = {}) {
  const clock = { t: T0 };
  const store = new MemoryCacheStore({ ...options, now: () => clock.t });
  return { clock, store };
}

describe("memory cache store: the shared behaviours, on an injected clock", () => {
  conformance((options) => {
    const { clock, store } = clocked(options);
    return {
      store,
      wait: async (ms) => {
        clock.t += ms;
      },
    };
  });
});

describe("memory cache store: behaviour of its own", () => {
  /** The bytes one entry under `key` with a body of `n` bytes counts. */
  const cost = (key: string, n: number, tags: string[] = []): number =>
    entryBytes(entry(Buffer.alloc(n), tags)).bytes + 2 * key.length + ENTRY_OVERHEAD_BYTES;

  test("answers synchronously", () => {
    const { store } = clocked();
    assert.equal(store.set("k", entry("x"), 1000), true);
    assert.ok(!(store.get("k") instanceof Promise));
    assert.equal(store.delete("k"), true);
    assert.equal(store.purgePrefix(""), 0);
    assert.equal(store.purgeTag("t"), 0);
  });

  test("total bytes stay under maxBytes; the least recently used entry goes first", () => {
    const one = cost("a", 2000, ["t"]);
    const { store } = clocked({ maxBytes: 4 * one + 10 });
    for (const key of ["a", "b", "c", "d"])
      assert.equal(store.set(key, entry(Buffer.alloc(2000), ["t"]), 60_000), true);
    assert.equal(store.bytes, 4 * one);
    assert.ok(store.get("a")); // a is now the most recently used; b the least
    store.set("e", entry(Buffer.alloc(2000), ["t"]), 60_000);
    assert.equal(store.get("b"), undefined);
    for (const key of ["a", "c", "d", "e"]) assert.ok(store.get(key), key);
    assert.equal(store.evictions, 1);
    assert.ok(store.bytes <= store.maxBytes);
    // A bigger entry pushes out as many of the oldest as it needs (c then d; a, e were used after them).
    store.get("a");
    store.get("e");
    assert.equal(store.set("f", entry(Buffer.alloc(2 * 2000 + 500), ["t"]), 60_000), true);
    assert.deepEqual(
      ["a", "c", "d", "e", "f"].filter((k) => store.get(k)),
      ["a", "e", "f"],
    );
    assert.ok(store.bytes <= store.maxBytes);
    // The tag index forgot the evicted entries: only the three present are purged.
    assert.equal(store.purgeTag("t"), 3);
    assert.equal(store.size, 0);
    assert.equal(store.bytes, 0);
  });

  test("an expired entry is dropped before a live one is evicted, without being counted as an eviction", () => {
    const one = cost("a", 2000);
    const { clock, store } = clocked({ maxBytes: 2 * one + 10 });
    store.set("a", entry(Buffer.alloc(2000)), 100);
    store.set("b", entry(Buffer.alloc(2000)), 60_000);
    clock.t += 200;
    store.set("c", entry(Buffer.alloc(2000)), 60_000);
    assert.equal(store.evictions, 0);
    assert.ok(store.get("b"));
    assert.ok(store.get("c"));
  });

  test("maxObjectBytes defaults to 8 MiB and never exceeds maxBytes; an entry larger than maxBytes is refused", () => {
    assert.equal(new MemoryCacheStore().maxObjectBytes, 8 * 1024 * 1024);
    assert.equal(new MemoryCacheStore().maxBytes, 64 * 1024 * 1024);
    const { store } = clocked({ maxBytes: 3000 });
    assert.equal(store.maxObjectBytes, 3000);
    assert.equal(store.set("k", entry(Buffer.alloc(2990)), 1000), false);
    assert.equal(store.size, 0);
    assert.throws(() => store.set("k", entry("x"), 0), RangeError);
    assert.throws(() => new MemoryCacheStore({ maxBytes: 0 }), RangeError);
  });

  test("the lazy sweep drops expired entries that are never asked for, a slice at a time", () => {
    const { clock, store } = clocked({ sweepIntervalMs: 1000 });
    for (let i = 0; i < 4000; i++) store.set(`old${i}`, entry("x", [`t${i % 10}`]), 500);
    store.set("live", entry("x"), 60_000);
    const full = store.bytes;
    clock.t += 1000;
    store.get("live"); // one step: 1000 entries visited
    assert.equal(store.size, 4001 - 1000);
    clock.t += 500;
    store.get("live"); // not due yet
    assert.equal(store.size, 3001);
    for (let i = 0; i < 4; i++) {
      clock.t += 1000;
      store.get("live");
    }
    assert.equal(store.size, 1);
    assert.ok(store.bytes < full / 1000);
    assert.equal(store.purgeTag("t3"), 0);
  });
});
