import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FNV_SEED, finishHash, hashBackward, hashForward, hashStep, SliceMap } from "./slice-map.ts";

describe("SliceMap", () => {
  test("finds a key by a slice of another string and its hash", () => {
    const m = new SliceMap<number>();
    for (const [i, k] of ["users", "orders", "", "u"].entries()) m.set(k, hashForward(k, 0, k.length), i);
    const path = "/api/orders/7";
    assert.equal(m.get(path, 5, 11, hashForward(path, 5, 11)), 1);
    assert.equal(m.get(path, 1, 4, hashForward(path, 1, 4)), undefined);
    assert.equal(m.get("/x/", 3, 3, hashForward("/x/", 3, 3)), 2);
    assert.equal(m.get("xux", 1, 2, hashForward("xux", 1, 2)), 3);
    assert.equal(m.size, 4);
  });

  test("keys sharing a hash are told apart by content and length", () => {
    const m = new SliceMap<string>();
    m.set("aa", 7, "A");
    m.set("bb", 7, "B");
    m.set("ccc", 7, "C");
    m.set("dd", 9, "D");
    m.set("ee", 9, "E");
    m.set("bb", 7, "B2");
    assert.equal(m.get("xbbx", 1, 3, 7), "B2");
    assert.equal(m.get("aa", 0, 2, 7), "A");
    assert.equal(m.get("ccc", 0, 3, 7), "C");
    assert.equal(m.get("cc", 0, 2, 7), undefined);
    assert.equal(m.get("ee", 0, 2, 9), "E");
    assert.equal(m.get("dd", 0, 2, 9), "D");
    assert.equal(m.get("dd", 0, 2, 7), undefined);
    assert.equal(m.size, 5);
  });

  test("the incremental backward hash equals hashBackward of the suffix", () => {
    const host = "a.b.example.com";
    let h = FNV_SEED;
    for (let i = host.length - 1; i >= 0; i--) {
      h = hashStep(h, host.charCodeAt(i));
      assert.equal(finishHash(h), hashBackward(host.slice(i), 0, host.length - i));
    }
  });
});
