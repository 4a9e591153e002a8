import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileRouter } from "./router.ts";
import { req, routerOf, winner } from "./test-helpers.ts";

describe("selection order", () => {
  test("higher priority wins over every specificity rule", () => {
    const r = routerOf(
      { name: "exact", match: { hosts: ["h.io"], path: "/a/b", pathType: "exact" } },
      { name: "catchAllRegex", match: { path: "/.*", pathType: "regex" }, priority: 5 },
    );
    assert.equal(winner(r, req("/a/b", { host: "h.io" })), "catchAllRegex");
  });

  test("a negative priority loses to the default", () => {
    const r = routerOf(
      { name: "low", match: { path: "/a/b", pathType: "exact" }, priority: -1 },
      { name: "root", match: { path: "/" } },
    );
    assert.equal(winner(r, req("/a/b")), "root");
  });

  test("path type: exact > template > prefix > regex", () => {
    const r = routerOf(
      { name: "regex", match: { path: "/items/\\d+", pathType: "regex" } },
      { name: "prefix", match: { path: "/items" } },
      { name: "template", match: { path: "/items/:id", pathType: "template" } },
      { name: "exact", match: { path: "/items/1", pathType: "exact" } },
    );
    assert.equal(winner(r, req("/items/1")), "exact");
    assert.equal(winner(r, req("/items/2")), "template");
    assert.equal(winner(r, req("/items/2/x")), "prefix");
    const onlyRegex = routerOf(
      { name: "regex", match: { path: "/items/\\d+", pathType: "regex" } },
      { name: "prefix", match: { path: "/" } },
    );
    assert.equal(winner(onlyRegex, req("/items/3")), "prefix");
  });

  test("a longer literal wins among routes of the same type", () => {
    const r = routerOf(
      { name: "short", match: { path: "/a/:x/:y", pathType: "template" } },
      { name: "long", match: { path: "/a/b/:y", pathType: "template" } },
      { name: "reShort", match: { path: "/r/.*", pathType: "regex" } },
      { name: "reLong", match: { path: "/r/v2/.*", pathType: "regex" } },
    );
    assert.equal(winner(r, req("/a/b/c")), "long");
    assert.equal(winner(r, req("/a/z/c")), "short");
    assert.equal(winner(r, req("/r/v2/x")), "reLong");
    assert.equal(winner(r, req("/r/v1/x")), "reShort");
  });

  test("config order breaks the remaining ties", () => {
    const r = routerOf(
      { name: "first", match: { path: "/same" } },
      { name: "second", match: { path: "/same/" } },
      { name: "re1", match: { path: "/(x|y)", pathType: "regex" } },
      { name: "re2", match: { path: "/(y|z)", pathType: "regex" } },
    );
    assert.equal(winner(r, req("/same/x")), "first");
    assert.equal(winner(r, req("/y")), "re1");
    assert.equal(winner(r, req("/z")), "re2");
  });

  test("entry.index decides, not the array position", () => {
    const router = compileRouter(
      [
        { name: "late", index: 9 },
        { name: "early", index: 2 },
      ].map((e) => ({
        config: { name: e.name, upstream: "u", match: { path: "/" } },
        index: e.index,
        payload: e.name,
      })),
    );
    assert.equal(winner(router, req("/")), "early");
  });

  test("a lower-ranked route wins when the better one's headers do not match", () => {
    const r = routerOf(
      { name: "beta", match: { path: "/api", headers: { "x-beta": "1" } }, priority: 1 },
      { name: "main", match: { path: "/api" } },
    );
    assert.equal(winner(r, req("/api/x", { headers: { "x-beta": "1" } })), "beta");
    assert.equal(winner(r, req("/api/x")), "main");
  });
});

describe("404 and 405", () => {
  const r = routerOf(
    { name: "read", match: { path: "/items", methods: ["GET"] } },
    { name: "write", match: { path: "/items", methods: ["POST", "PUT"] } },
    { name: "opts", match: { path: "/items/special", pathType: "exact", methods: ["OPTIONS", "DELETE"] } },
    { name: "hdr", match: { path: "/gated", methods: ["PATCH"], headers: { "x-key": "k" } } },
  );

  test("the method picks among routes on the same path", () => {
    assert.equal(winner(r, req("/items/1")), "read");
    assert.equal(winner(r, req("/items/1", { method: "PUT" })), "write");
  });

  test("HEAD is served by a GET route", () => {
    assert.equal(winner(r, req("/items", { method: "HEAD" })), "read");
  });

  test("405 lists the union of allowed methods, sorted, with HEAD for GET", () => {
    assert.equal(winner(r, req("/items/1", { method: "DELETE" })), "405 GET,HEAD,POST,PUT");
  });

  test("OPTIONS appears in Allow only when configured", () => {
    assert.equal(
      winner(r, req("/items/special", { method: "PATCH" })),
      "405 DELETE,GET,HEAD,OPTIONS,POST,PUT",
    );
    assert.equal(winner(r, req("/items/special", { method: "OPTIONS" })), "opts");
  });

  test("routes whose headers do not match count as not matching (404, not 405)", () => {
    assert.equal(winner(r, req("/gated", { method: "GET" })), "404");
    assert.equal(winner(r, req("/gated", { method: "GET", headers: { "x-key": "k" } })), "405 PATCH");
    assert.equal(winner(r, req("/gated", { method: "PATCH", headers: { "x-key": "k" } })), "hdr");
  });

  test("404 when no host+path matches", () => {
    assert.equal(winner(r, req("/nothing", { method: "DELETE" })), "404");
    assert.equal(routerOf().match(req("/")).kind, "not-found");
  });

  test("a route without methods never yields 405", () => {
    const any = routerOf(
      { name: "get", match: { path: "/x", methods: ["GET"] }, priority: 1 },
      { name: "any", match: { path: "/" } },
    );
    assert.equal(winner(any, req("/x", { method: "BREW" })), "any");
  });

  test("the router is reusable after a 405", () => {
    assert.equal(winner(r, req("/items", { method: "TRACE" })), "405 GET,HEAD,POST,PUT");
    assert.equal(winner(r, req("/items", { method: "POST" })), "write");
  });
});
