import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { req, routerOf, winner } from "./test-helpers.ts";

describe("hosts", () => {
  test("exact hosts compare case-insensitively against the lower-case request host", () => {
    const r = routerOf({ name: "api", match: { hosts: ["API.Example.com"], path: "/" } });
    assert.equal(winner(r, req("/", { host: "api.example.com" })), "api");
    assert.equal(winner(r, req("/", { host: "www.example.com" })), "404");
    assert.equal(winner(r, req("/", { host: "example.com" })), "404");
  });

  test("a wildcard matches any subdomain depth but not the apex", () => {
    const r = routerOf({ name: "wild", match: { hosts: ["*.example.com"], path: "/" } });
    assert.equal(winner(r, req("/", { host: "a.example.com" })), "wild");
    assert.equal(winner(r, req("/", { host: "a.b.c.example.com" })), "wild");
    assert.equal(winner(r, req("/", { host: "example.com" })), "404");
    assert.equal(winner(r, req("/", { host: "badexample.com" })), "404");
    assert.equal(winner(r, req("/", { host: "a.example.org" })), "404");
  });

  test('"*" and no hosts both mean any host', () => {
    const star = routerOf({ name: "star", match: { hosts: ["*"], path: "/" } });
    const none = routerOf({ name: "none", match: { path: "/" } });
    for (const host of ["x.io", "localhost", "10.0.0.1"]) {
      assert.equal(winner(star, req("/", { host })), "star");
      assert.equal(winner(none, req("/", { host })), "none");
    }
  });

  test("exact beats wildcard beats any; a longer wildcard suffix beats a shorter one", () => {
    const r = routerOf(
      { name: "any", match: { path: "/" } },
      { name: "wild", match: { hosts: ["*.example.com"], path: "/" } },
      { name: "deepWild", match: { hosts: ["*.eu.example.com"], path: "/" } },
      { name: "exact", match: { hosts: ["api.eu.example.com"], path: "/" } },
    );
    assert.equal(winner(r, req("/", { host: "api.eu.example.com" })), "exact");
    assert.equal(winner(r, req("/", { host: "web.eu.example.com" })), "deepWild");
    assert.equal(winner(r, req("/", { host: "web.us.example.com" })), "wild");
    assert.equal(winner(r, req("/", { host: "other.org" })), "any");
  });

  test("host specificity outranks path type and path length", () => {
    const r = routerOf(
      { name: "anyExactLong", match: { path: "/a/very/long/exact/path", pathType: "exact" } },
      { name: "hostRoot", match: { hosts: ["h.io"], path: "/" } },
    );
    assert.equal(winner(r, req("/a/very/long/exact/path", { host: "h.io" })), "hostRoot");
    assert.equal(winner(r, req("/a/very/long/exact/path", { host: "g.io" })), "anyExactLong");
  });

  test("a route with several hosts competes with the specificity of the host that matched", () => {
    const r = routerOf(
      { name: "multi", match: { hosts: ["*", "a.io"], path: "/" } },
      { name: "wild", match: { hosts: ["*.a.io"], path: "/" } },
      { name: "other", match: { hosts: ["b.io"], path: "/" } },
    );
    assert.equal(winner(r, req("/", { host: "a.io" })), "multi");
    assert.equal(winner(r, req("/", { host: "x.a.io" })), "wild");
    assert.equal(winner(r, req("/", { host: "b.io" })), "other");
    assert.equal(winner(r, req("/", { host: "c.io" })), "multi");
  });

  test("hosts of different routes keep their own paths", () => {
    const r = routerOf(
      { name: "aUsers", match: { hosts: ["a.io"], path: "/users" } },
      { name: "bOrders", match: { hosts: ["b.io"], path: "/orders" } },
    );
    assert.equal(winner(r, req("/users", { host: "a.io" })), "aUsers");
    assert.equal(winner(r, req("/orders", { host: "a.io" })), "404");
    assert.equal(winner(r, req("/orders", { host: "b.io" })), "bOrders");
  });
});
