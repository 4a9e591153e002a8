import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { req, routerOf, winner } from "./test-helpers.ts";

describe("prefix paths", () => {
  const r = routerOf({ name: "users", match: { path: "/users" } });

  test("are segment-aware", () => {
    assert.equal(winner(r, req("/users")), "users");
    assert.equal(winner(r, req("/users/")), "users");
    assert.equal(winner(r, req("/users/7")), "users");
    assert.equal(winner(r, req("/users/7/posts/")), "users");
    assert.equal(winner(r, req("/usersx")), "404");
    assert.equal(winner(r, req("/user")), "404");
    assert.equal(winner(r, req("/")), "404");
  });

  test("is the default path type and '/' matches everything", () => {
    const root = routerOf({ name: "root", match: { path: "/" } });
    for (const p of ["/", "/a", "/a/b/", "/usersx"]) assert.equal(winner(root, req(p)), "root");
  });

  test("a trailing slash also matches the bare path", () => {
    const api = routerOf({ name: "api", match: { path: "/api/", pathType: "prefix" } });
    assert.equal(winner(api, req("/api")), "api");
    assert.equal(winner(api, req("/api/")), "api");
    assert.equal(winner(api, req("/api/x/y")), "api");
    assert.equal(winner(api, req("/apix")), "404");
  });

  test("the longest matching prefix wins", () => {
    const nested = routerOf(
      { name: "a", match: { path: "/a" } },
      { name: "abc", match: { path: "/a/b/c" } },
      { name: "ab", match: { path: "/a/b" } },
    );
    assert.equal(winner(nested, req("/a/b/c/d")), "abc");
    assert.equal(winner(nested, req("/a/b/c")), "abc");
    assert.equal(winner(nested, req("/a/b/cd")), "ab");
    assert.equal(winner(nested, req("/a/bc")), "a");
  });

  test("are case-sensitive", () => {
    assert.equal(winner(r, req("/Users")), "404");
  });
});

describe("exact paths", () => {
  const r = routerOf(
    { name: "health", match: { path: "/health", pathType: "exact" } },
    { name: "slash", match: { path: "/dir/", pathType: "exact" } },
  );
  test("match only the same string", () => {
    assert.equal(winner(r, req("/health")), "health");
    assert.equal(winner(r, req("/health/")), "404");
    assert.equal(winner(r, req("/health/x")), "404");
    assert.equal(winner(r, req("/dir/")), "slash");
    assert.equal(winner(r, req("/dir")), "404");
  });
});

describe("template paths", () => {
  const r = routerOf(
    { name: "user", match: { path: "/users/:id", pathType: "template" } },
    { name: "post", match: { path: "/users/:id/posts/:postId", pathType: "template" } },
    { name: "files", match: { path: "/files/*", pathType: "template" } },
    { name: "assets", match: { path: "/assets/:v/*rest", pathType: "template" } },
    { name: "rootT", match: { path: "/", pathType: "template" } },
  );

  test("capture named segments", () => {
    const m = r.match(req("/users/42/posts/7"));
    assert.equal(m.kind, "route");
    assert.deepEqual(m.kind === "route" && m.params, { id: "42", postId: "7" });
    const u = r.match(req("/users/abc"));
    assert.deepEqual(u.kind === "route" && u.params, { id: "abc" });
  });

  test("a param needs a non-empty segment and the segment count must agree", () => {
    assert.equal(winner(r, req("/users/")), "404");
    assert.equal(winner(r, req("/users")), "404");
    assert.equal(winner(r, req("/users/1/")), "404");
    assert.equal(winner(r, req("/users/1/posts")), "404");
    assert.equal(winner(r, req("/users//posts/1")), "404");
  });

  test("does not decode params again", () => {
    const m = r.match(req("/users/a%2Fb"));
    assert.deepEqual(m.kind === "route" && m.params, { id: "a%2Fb" });
  });

  test("a catch-all takes the rest, including slashes, possibly empty", () => {
    const f = r.match(req("/files/a/b/c.txt"));
    assert.deepEqual(f.kind === "route" && [f.route, f.params], ["files", { "*": "a/b/c.txt" }]);
    const empty = r.match(req("/files/"));
    assert.deepEqual(empty.kind === "route" && empty.params, { "*": "" });
    assert.equal(winner(r, req("/files")), "404");
    const a = r.match(req("/assets/v3/css/site.css"));
    assert.deepEqual(a.kind === "route" && a.params, { v: "v3", rest: "css/site.css" });
  });

  test("a bare '/' template matches only '/'", () => {
    assert.equal(winner(r, req("/")), "rootT");
    assert.equal(winner(r, req("/x")), "404");
  });

  test("static segments beat params, and backtracking finds the param route", () => {
    const t = routerOf(
      { name: "me", match: { path: "/users/me/profile", pathType: "template" } },
      { name: "profile", match: { path: "/users/:id/profile", pathType: "template" } },
      { name: "meSettings", match: { path: "/users/me/settings", pathType: "template" } },
    );
    assert.equal(winner(t, req("/users/me/profile")), "me");
    assert.equal(winner(t, req("/users/you/profile")), "profile");
    const m = t.match(req("/users/me/settings"));
    assert.deepEqual(m.kind === "route" && [m.route, m.params], ["meSettings", {}]);
  });

  test("params come from the winning branch only", () => {
    const t = routerOf(
      { name: "deep", match: { path: "/a/:x/c/:y", pathType: "template" } },
      { name: "other", match: { path: "/a/:p/:q/d", pathType: "template" }, priority: 1 },
    );
    const m = t.match(req("/a/1/c/d"));
    assert.deepEqual(m.kind === "route" && [m.route, m.params], ["other", { p: "1", q: "c" }]);
    const n = t.match(req("/a/1/c/e"));
    assert.deepEqual(n.kind === "route" && [n.route, n.params], ["deep", { x: "1", y: "e" }]);
  });

  test("param-less matches share one frozen empty params object", () => {
    const m = routerOf({ name: "p", match: { path: "/p" } }).match(req("/p"));
    assert.ok(m.kind === "route" && Object.isFrozen(m.params) && Object.keys(m.params).length === 0);
  });
});

describe("regex paths", () => {
  const r = routerOf(
    { name: "order", match: { path: "/orders/(?<id>\\d+)", pathType: "regex" } },
    { name: "ver", match: { path: "/v(\\d)/.*", pathType: "regex" } },
    { name: "alt", match: { path: "/(?:cats|dogs)/(?<name>[a-z]+)", pathType: "regex" } },
  );

  test("are anchored at both ends", () => {
    assert.equal(winner(r, req("/orders/12")), "order");
    assert.equal(winner(r, req("/orders/12x")), "404");
    assert.equal(winner(r, req("/x/orders/12")), "404");
  });

  test("named groups become params", () => {
    const m = r.match(req("/orders/12"));
    assert.deepEqual(m.kind === "route" && m.params, { id: "12" });
    const a = r.match(req("/dogs/rex"));
    assert.deepEqual(a.kind === "route" && [a.route, a.params], ["alt", { name: "rex" }]);
  });

  test("unnamed groups do not", () => {
    const m = r.match(req("/v2/anything"));
    assert.deepEqual(m.kind === "route" && [m.route, m.params], ["ver", {}]);
  });

  test("use Unicode mode", () => {
    const u = routerOf({ name: "u", match: { path: "/\\p{L}+", pathType: "regex" } });
    assert.equal(winner(u, req("/héllo")), "u");
    assert.equal(winner(u, req("/123")), "404");
  });

  test("explicit ^ and $ are harmless", () => {
    const u = routerOf({ name: "u", match: { path: "^/a/b$", pathType: "regex" } });
    assert.equal(winner(u, req("/a/b")), "u");
    assert.equal(winner(u, req("/a/bc")), "404");
  });
});

describe("path edge cases", () => {
  test("paths deeper than every route still reach prefixes and catch-alls, never shorter templates", () => {
    const r = routerOf(
      { name: "t", match: { path: "/a/:x", pathType: "template" } },
      { name: "p", match: { path: "/a" } },
      { name: "c", match: { path: "/c/*rest", pathType: "template" } },
    );
    assert.equal(winner(r, req("/a/1")), "t");
    assert.equal(winner(r, req("/a/1/2/3/4/5/6/7/8")), "p");
    const c = r.match(req("/c/1/2/3/4/5/6/7/8"));
    assert.deepEqual(c.kind === "route" && c.params, { rest: "1/2/3/4/5/6/7/8" });
  });

  test("only origin-form paths are routed", () => {
    const r = routerOf(
      { name: "all", match: { path: "/" } },
      { name: "re", match: { path: ".*", pathType: "regex" } },
    );
    assert.equal(winner(r, req("*", { method: "OPTIONS" })), "404");
    assert.equal(winner(r, req("")), "404");
    assert.equal(winner(r, req("/")), "all");
  });

  test("regexes bucketed by first segment and unbucketed ones keep the global order", () => {
    const r = routerOf(
      { name: "bucket", match: { path: "/u/(\\d+)", pathType: "regex" } },
      { name: "loose", match: { path: "/u.*", pathType: "regex" }, priority: 1 },
      { name: "other", match: { path: "/v/(\\d+)", pathType: "regex" } },
    );
    assert.equal(winner(r, req("/u/1")), "loose");
    assert.equal(winner(r, req("/v/1")), "other");
    assert.equal(winner(r, req("/v/x")), "404");
    const s = routerOf(
      { name: "bucket", match: { path: "/u/(\\d+)", pathType: "regex" } },
      { name: "loose", match: { path: "/u.*", pathType: "regex" } },
    );
    assert.equal(winner(s, req("/u/1")), "bucket");
    assert.equal(winner(s, req("/ux")), "loose");
  });
});
