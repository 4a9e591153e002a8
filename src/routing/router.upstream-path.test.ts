import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { req, routerOf, type TestRoute } from "./test-helpers.ts";
import type { MatchInput } from "./types.ts";

function upstreamPath(route: TestRoute, input: MatchInput): string {
  const m = routerOf(route).match(input);
  assert.equal(m.kind, "route");
  return m.kind === "route" ? m.upstreamPath : "";
}

describe("upstreamPath", () => {
  test("is the request path when nothing rewrites it, without the query", () => {
    const route = { name: "r", match: { path: "/api" } };
    assert.equal(upstreamPath(route, req("/api/users", { query: "a=1" })), "/api/users");
  });

  test("stripPrefix removes the matched prefix and always keeps a leading slash", () => {
    const route = { name: "r", match: { path: "/api" }, stripPrefix: true };
    assert.equal(upstreamPath(route, req("/api")), "/");
    assert.equal(upstreamPath(route, req("/api/")), "/");
    assert.equal(upstreamPath(route, req("/api/users")), "/users");
    assert.equal(upstreamPath(route, req("/api/users/")), "/users/");
    const slash = { name: "r", match: { path: "/api/" }, stripPrefix: true };
    assert.equal(upstreamPath(slash, req("/api/users")), "/users");
    assert.equal(upstreamPath(slash, req("/api")), "/");
    const root = { name: "r", match: { path: "/" }, stripPrefix: true };
    assert.equal(upstreamPath(root, req("/x/y")), "/x/y");
  });

  test("rewrite on a prefix route replaces the matched prefix", () => {
    const route = { name: "r", match: { path: "/api" }, rewrite: "/v2" };
    assert.equal(upstreamPath(route, req("/api")), "/v2");
    assert.equal(upstreamPath(route, req("/api/users")), "/v2/users");
    const slash = { name: "r", match: { path: "/api" }, rewrite: "/v2/" };
    assert.equal(upstreamPath(slash, req("/api/users")), "/v2/users");
    const toRoot = { name: "r", match: { path: "/api" }, rewrite: "/" };
    assert.equal(upstreamPath(toRoot, req("/api/users")), "/users");
    assert.equal(upstreamPath(toRoot, req("/api")), "/");
    const fromRoot = { name: "r", match: { path: "/" }, rewrite: "/base" };
    assert.equal(upstreamPath(fromRoot, req("/x")), "/base/x");
  });

  test("rewrite wins over stripPrefix", () => {
    const route = { name: "r", match: { path: "/api" }, stripPrefix: true, rewrite: "/v2" };
    assert.equal(upstreamPath(route, req("/api/users")), "/v2/users");
  });

  test("rewrite on an exact route replaces the path", () => {
    const route = { name: "r", match: { path: "/old", pathType: "exact" as const }, rewrite: "/new/place" };
    assert.equal(upstreamPath(route, req("/old")), "/new/place");
  });

  test("template rewrite substitutes params by name, catch-alls included", () => {
    const route = {
      name: "r",
      match: { path: "/users/:id/posts/:postId", pathType: "template" as const },
      rewrite: "/posts/:postId?by=:id",
    };
    assert.throws(() => routerOf(route), /query string/);
    const ok = { ...route, rewrite: "/v1/posts/:postId/author/:id.json" };
    assert.equal(upstreamPath(ok, req("/users/7/posts/9")), "/v1/posts/9/author/7.json");
    const files = {
      name: "f",
      match: { path: "/files/*rest", pathType: "template" as const },
      rewrite: "/s3/:rest",
    };
    assert.equal(upstreamPath(files, req("/files/a/b.txt")), "/s3/a/b.txt");
    assert.equal(upstreamPath(files, req("/files/")), "/s3/");
  });

  test("regex rewrite substitutes $1..$9, $<name> and $$", () => {
    const route = {
      name: "r",
      match: { path: "/v(\\d)/(?<res>[a-z]+)/(\\d+)(/x)?", pathType: "regex" as const },
      rewrite: "/api/$<res>/$3?",
    };
    assert.throws(() => routerOf(route), /query string/);
    const ok = { ...route, rewrite: "/api$1/$<res>/$3$4/$$" };
    assert.equal(upstreamPath(ok, req("/v2/users/42")), "/api2/users/42/$");
    assert.equal(upstreamPath(ok, req("/v2/users/42/x")), "/api2/users/42/x/$");
    const dollar = {
      name: "r",
      match: { path: "/d/(\\d)", pathType: "regex" as const },
      rewrite: "/x$y/$1$",
    };
    assert.equal(upstreamPath(dollar, req("/d/4")), "/x$y/4$");
    const lead = { name: "r", match: { path: "(/.*)", pathType: "regex" as const }, rewrite: "$1" };
    assert.equal(upstreamPath(lead, req("/p/q")), "/p/q");
    const noSlash = { name: "r", match: { path: "/(.*)", pathType: "regex" as const }, rewrite: "$1" };
    assert.equal(upstreamPath(noSlash, req("/p/q")), "/p/q");
  });

  test("regex params and rewrite coexist", () => {
    const m = routerOf({
      name: "r",
      match: { path: "/orders/(?<id>\\d+)", pathType: "regex" },
      rewrite: "/o/$<id>",
    }).match(req("/orders/5"));
    assert.deepEqual(m.kind === "route" && [m.params, m.upstreamPath], [{ id: "5" }, "/o/5"]);
  });
});
