import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodedThenStripped, isAmbiguous, pathReadings, strippedThenDecoded } from "./path-readings.ts";

describe("path readings", () => {
  test("a plain path reads one way", () => {
    for (const p of ["/", "/admin", "/admin/", "/a/b.c/d-e_f~", "/caf%C3%A9", "/a%25b", "/a:b@c"]) {
      assert.equal(isAmbiguous(p), false, p);
      assert.equal(pathReadings(p), undefined, p);
    }
  });

  test("';' parameters are cut off each segment", () => {
    assert.deepEqual(pathReadings("/admin;x=1"), ["/admin;x=1", "/admin"]);
    assert.deepEqual(pathReadings("/admin;jsessionid=1/users"), [
      "/admin;jsessionid=1/users",
      "/admin/users",
    ]);
    assert.deepEqual(pathReadings("/;x/admin"), ["/;x/admin", "/admin"]);
    assert.deepEqual(pathReadings("/admin;"), ["/admin;", "/admin"]);
  });

  test("'//' is merged", () => {
    assert.deepEqual(pathReadings("//admin"), ["//admin", "/admin"]);
    assert.deepEqual(pathReadings("/a//b/"), ["/a//b/", "/a/b"]);
  });

  test("%2F and %5C become separators and dot-segments they form are resolved", () => {
    assert.deepEqual(pathReadings("/admin%2Fusers"), ["/admin%2Fusers", "/admin/users"]);
    assert.deepEqual(pathReadings("/public%2F..%2Fadmin"), ["/public%2F..%2Fadmin", "/admin"]);
    assert.deepEqual(pathReadings("/public/..%5Cadmin"), ["/public/..%5Cadmin", "/admin"]);
    assert.deepEqual(pathReadings("/a%2f..%2fadmin"), ["/a%2f..%2fadmin", "/admin"], "lower-case hex too");
  });

  test("%3B is a parameter to a server that decodes before cutting", () => {
    assert.equal(strippedThenDecoded("/admin%3Bx"), "/admin%3Bx");
    assert.equal(decodedThenStripped("/admin%3Bx"), "/admin");
    assert.deepEqual(pathReadings("/admin%3Bx"), ["/admin%3Bx", "/admin"]);
  });

  test("the two orders differ when a parameter holds an encoded separator", () => {
    const p = "/public;a%2F..%2F..%2Fadmin";
    assert.equal(strippedThenDecoded(p), "/public");
    assert.equal(decodedThenStripped(p), "/admin");
    assert.deepEqual(pathReadings(p), [p, "/public", "/admin"]);
    const q = "/admin;x%2F..%2F..%2Fpublic";
    assert.equal(strippedThenDecoded(q), "/admin");
    assert.equal(decodedThenStripped(q), "/public");
  });

  test("never climbs above the root", () => {
    assert.equal(decodedThenStripped("/..%2F..%2Fadmin"), "/admin");
    assert.equal(strippedThenDecoded("/a%2F..%2F..%2F..;x"), "/");
  });
});
