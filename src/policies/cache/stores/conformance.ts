// One table of behaviours both cache stores must show identically. The memory store runs it on an
// injected clock; the Redis store in real time, each case on a fresh store under its own random prefix.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import type { CacheStore, EntryMeta, StoredEntry } from "./types.ts";

export interface Harness {
  readonly store: CacheStore;
  /** Lets `ms` pass on the store's clock. */
  wait(ms: number): Promise<void>;
}

export interface HarnessOptions {
  readonly maxObjectBytes?: number;
}

export function entry(body: Buffer | string, tags: readonly string[] = [], status = 200): StoredEntry {
  const meta: EntryMeta = {
    status,
    headers: [
      ["content-type", "application/octet-stream"],
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
      ["x-unicode", "h\u00e9llo \u2603"],
    ],
    policy: { v: 1, t: 1_700_000_000_000, sh: true, ch: 0, imm: 0, st: status, resh: { age: "0" }, a: true },
    storedAt: 1_700_000_000_000,
    tags,
  };
  return { meta, body: typeof body === "string" ? Buffer.from(body) : body };
}

const LONG = 60_000;

interface Case {
  readonly name: string;
  readonly options?: HarnessOptions;
  run(h: Harness): Promise<void>;
}

async function same(store: CacheStore, key: string, expected: StoredEntry): Promise<void> {
  const got = await store.get(key);
  assert.ok(got, `${key}: missing`);
  assert.ok(Buffer.isBuffer(got.body), `${key}: body is not a Buffer`);
  assert.ok(got.body.equals(expected.body), `${key}: body differs`);
  assert.deepEqual(got.meta, expected.meta);
}

async function present(store: CacheStore, keys: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const key of keys) if ((await store.get(key)) !== undefined) found.push(key);
  return found;
}

export const CASES: readonly Case[] = [
  {
    name: "binary bodies: every byte value, an empty body and 1 MiB of random bytes come back exact",
    async run({ store }) {
      const all = entry(Buffer.from(Array.from({ length: 256 }, (_, i) => i)), ["t"]);
      const empty = entry(Buffer.alloc(0));
      const big = entry(randomBytes(1024 * 1024));
      assert.equal(await store.set("all", all, LONG), true);
      assert.equal(await store.set("empty", empty, LONG), true);
      assert.equal(await store.set("big", big, LONG), true);
      await same(store, "all", all);
      await same(store, "empty", empty);
      await same(store, "big", big);
      assert.equal(await store.get("absent"), undefined);
    },
  },
  {
    name: "ttl: an entry is returned until its ttl, never after, and is then gone for delete and purges",
    async run({ store, wait }) {
      await store.set("short", entry("s", ["t"]), 300);
      await store.set("long", entry("l", ["t"]), LONG);
      await wait(100);
      assert.ok(await store.get("short"));
      await wait(350);
      assert.equal(await store.get("short"), undefined);
      assert.equal(await store.delete("short"), false);
      assert.ok(await store.get("long"));
      assert.equal(await store.purgeTag("t"), 1);
    },
  },
  {
    name: "overwrite: the new entry replaces the old, and the tag index follows the new tags",
    async run({ store }) {
      await store.set("k", entry("old", ["a", "b"]), LONG);
      const next = entry("new", ["b", "c"], 203);
      await store.set("k", next, LONG);
      await same(store, "k", next);
      assert.equal(await store.purgeTag("a"), 0);
      await same(store, "k", next);
      assert.equal(await store.purgeTag("c"), 1);
      assert.equal(await store.get("k"), undefined);
      assert.equal(await store.purgeTag("b"), 0);
    },
  },
  {
    name: "an entry that expired and came back without a tag is not purged by that tag",
    async run({ store, wait }) {
      await store.set("k", entry("tagged", ["gone"]), 100);
      await wait(250);
      await store.set("k", entry("untagged", ["kept"]), LONG);
      assert.equal(await store.purgeTag("gone"), 0);
      assert.ok(await store.get("k"));
    },
  },
  {
    name: "delete: true once, then false; a deleted entry no longer counts for its tags",
    async run({ store }) {
      await store.set("k", entry("x", ["t"]), LONG);
      await store.set("other", entry("y", ["t"]), LONG);
      assert.equal(await store.delete("k"), true);
      assert.equal(await store.delete("k"), false);
      assert.equal(await store.get("k"), undefined);
      assert.equal(await store.purgeTag("t"), 1);
      assert.equal(await store.get("other"), undefined);
    },
  },
  {
    name: "purgeTag: removes exactly the entries carrying the tag, and counts them",
    async run({ store }) {
      await store.set("a", entry("a", ["p1", "all"]), LONG);
      await store.set("b", entry("b", ["p2", "all"]), LONG);
      await store.set("c", entry("c", ["all"]), LONG);
      await store.set("d", entry("d", []), LONG);
      assert.equal(await store.purgeTag("p1"), 1);
      assert.deepEqual(await present(store, ["a", "b", "c", "d"]), ["b", "c", "d"]);
      assert.equal(await store.purgeTag("all"), 2);
      assert.deepEqual(await present(store, ["a", "b", "c", "d"]), ["d"]);
      assert.equal(await store.purgeTag("nothing"), 0);
    },
  },
  {
    name: "purgePrefix: removes the keys under the prefix, and counts them",
    async run({ store }) {
      const keys = ["GET:/a/1", "GET:/a/2", "GET:/a", "GET:/b/1", "HEAD:/a/1"];
      for (const key of keys) await store.set(key, entry(key), LONG);
      assert.equal(await store.purgePrefix("GET:/a/"), 2);
      assert.deepEqual(await present(store, keys), ["GET:/a", "GET:/b/1", "HEAD:/a/1"]);
      assert.equal(await store.purgePrefix("GET:"), 2);
      assert.equal(await store.purgePrefix("nothing"), 0);
      assert.deepEqual(await present(store, keys), ["HEAD:/a/1"]);
    },
  },
  {
    name: "purgePrefix: glob characters in the prefix are literal (no over-matching)",
    async run({ store }) {
      const keys = ["x*?[1]-a", "x*?[1]-b", "xyz[1]-c", "x*?1]-d", "xa?[1]-e", "x\\*-f", "x\\q-g", "x]-h"];
      for (const key of keys) await store.set(key, entry(key), LONG);
      assert.equal(await store.purgePrefix("x*?[1]"), 2);
      assert.equal(await store.purgePrefix("x\\*"), 1);
      assert.equal(await store.purgePrefix("x*"), 1);
      assert.equal(await store.purgePrefix("x?"), 0);
      assert.equal(await store.purgePrefix("x["), 0);
      assert.deepEqual(await present(store, keys), ["xyz[1]-c", "xa?[1]-e", "x\\q-g", "x]-h"]);
    },
  },
  {
    name: "size cap: a larger entry is refused and stores nothing (the superseded entry goes too)",
    options: { maxObjectBytes: 4096 },
    async run({ store }) {
      assert.equal(store.maxObjectBytes, 4096);
      const small = entry(Buffer.alloc(1000, 1), ["t"]);
      assert.equal(await store.set("k", small, LONG), true);
      await same(store, "k", small);
      assert.equal(await store.set("k", entry(Buffer.alloc(4096, 2), ["t"]), LONG), false);
      assert.equal(await store.get("k"), undefined);
      assert.equal(await store.set("fresh", entry(Buffer.alloc(5000, 3), ["t"]), LONG), false);
      assert.equal(await store.get("fresh"), undefined);
      assert.equal(await store.purgeTag("t"), 0);
    },
  },
];

/** Registers one test per case; `harness` gives a fresh store per case. */
export function conformance(harness: (options: HarnessOptions) => Harness | Promise<Harness>): void {
  for (const c of CASES) {
    test(c.name, async () => {
      const h = await harness(c.options ?? {});
      try {
        await c.run(h);
      } finally {
        await h.store.close();
      }
    });
  }
}
