import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RouterConfigError, validateRouterEntries } from "./router.ts";
import { routerOf, type TestRoute } from "./test-helpers.ts";

/** Compiles `bad` after a valid route, so the error must name routes[1]. */
function compileError(bad: TestRoute): RouterConfigError {
  try {
    routerOf({ name: "fine", match: { path: "/" } }, bad);
  } catch (err) {
    assert.ok(err instanceof RouterConfigError, `expected RouterConfigError, got ${err}`);
    assert.equal(err.routeIndex, 1);
    assert.match(err.message, new RegExp(`route "${bad.name}" \\(routes\\[1\\]\\)`));
    return err;
  }
  assert.fail("expected a RouterConfigError");
}

function expectError(bad: TestRoute, field: string, message: RegExp): void {
  const err = compileError(bad);
  assert.equal(err.field, field);
  assert.match(err.message, message);
}

describe("compile-time validation", () => {
  test("prefix, exact and template paths must start with '/'", () => {
    expectError({ name: "p", match: { path: "api" } }, "match/path", /must start with "\/"/);
    expectError({ name: "e", match: { path: "x", pathType: "exact" } }, "match/path", /must start/);
    expectError({ name: "t", match: { path: ":id", pathType: "template" } }, "match/path", /must start/);
  });

  test("a path may not carry a query or fragment", () => {
    expectError({ name: "q", match: { path: "/a?b=1" } }, "match/path", /match\.query/);
  });

  test("templates: duplicated, malformed and misplaced params", () => {
    const t = (path: string) => ({ name: "t", match: { path, pathType: "template" as const } });
    expectError(t("/a/:id/b/:id"), "match/path", /duplicated parameter name "id"/);
    expectError(t("/a/:id/*id"), "match/path", /duplicated parameter name "id"/);
    expectError(t("/a/:"), "match/path", /invalid parameter ":"/);
    expectError(t("/a/:x-y"), "match/path", /invalid parameter ":x-y"/);
    expectError(t("/files/*/more"), "match/path", /must be the last segment/);
    expectError(t("/files/*.json"), "match/path", /invalid parameter/);
    expectError(t("/a/:__proto__"), "match/path", /__proto__/);
  });

  test("a regex that does not compile names the route and the cause", () => {
    expectError({ name: "re", match: { path: "/a/(", pathType: "regex" } }, "match/path", /invalid regex/);
    // Unicode mode rejects escapes that sloppy mode would accept.
    expectError({ name: "re", match: { path: "/\\q", pathType: "regex" } }, "match/path", /invalid regex/);
  });

  test("header and query regexes are checked too", () => {
    expectError(
      { name: "h", match: { path: "/", headers: { "X-A": { regex: "[" } } } },
      "match/headers/X-A",
      /invalid regex/,
    );
    expectError(
      { name: "q", match: { path: "/", query: { a: { regex: "(" } } } },
      "match/query/a",
      /invalid/,
    );
  });

  test("a value matcher needs exactly one key", () => {
    const two = { exact: "a", present: true } as unknown as { exact: string };
    expectError({ name: "h", match: { path: "/", headers: { a: two } } }, "match/headers/a", /exactly one/);
    const none = {} as unknown as { exact: string };
    expectError({ name: "h", match: { path: "/", query: { a: none } } }, "match/query/a", /exactly one/);
  });

  test("rewrite references must exist", () => {
    expectError(
      { name: "t", match: { path: "/u/:id", pathType: "template" }, rewrite: "/x/:uid" },
      "rewrite",
      /unknown parameter ":uid"/,
    );
    expectError(
      { name: "r", match: { path: "/u/(\\d+)", pathType: "regex" }, rewrite: "/x/$2" },
      "rewrite",
      /group \$2 but the regex has 1/,
    );
    expectError(
      { name: "r", match: { path: "/u/(?<id>\\d+)", pathType: "regex" }, rewrite: "/x/$<uid>" },
      "rewrite",
      /unknown named group/,
    );
    expectError(
      { name: "r", match: { path: "/u/(?<id>\\d+)", pathType: "regex" }, rewrite: "/x/$<id" },
      "rewrite",
      /unclosed/,
    );
  });

  test("rewrite must be a path", () => {
    expectError({ name: "p", match: { path: "/a" }, rewrite: "b" }, "rewrite", /must start with "\/"/);
    expectError({ name: "p", match: { path: "/a" }, rewrite: "/b#c" }, "rewrite", /"\?" or "#"/);
  });

  test("stripPrefix only on prefix routes", () => {
    for (const pathType of ["exact", "template", "regex"] as const) {
      expectError({ name: "s", match: { path: "/a", pathType }, stripPrefix: true }, "stripPrefix", /prefix/);
    }
  });

  test("an unknown path type (the schema normally stops it first)", () => {
    const bad = { name: "t", match: { path: "/", pathType: "constructor" as "exact" } };
    expectError(bad, "match/pathType", /unknown path type "constructor"/);
  });

  test("malformed wildcard hosts", () => {
    expectError({ name: "h", match: { path: "/", hosts: ["a.*.com"] } }, "match/hosts", /invalid host/);
    expectError({ name: "h", match: { path: "/", hosts: ["*example.com"] } }, "match/hosts", /invalid host/);
  });

  test("valid edge cases compile", () => {
    routerOf(
      { name: "a", match: { path: "/v1:batch", pathType: "template" } },
      { name: "b", match: { path: "/x/:a/:b/*c", pathType: "template" }, rewrite: "/:c/:b/:a" },
      { name: "c", match: { path: "[/]", pathType: "regex" }, rewrite: "/$$1" },
      { name: "d", match: { path: "/", headers: { a: { present: false } } }, stripPrefix: false },
    );
  });
});

describe("validateRouterEntries", () => {
  test("reports every broken route, in config order", () => {
    const entries = [
      { name: "a", match: { path: "x" } },
      { name: "ok", match: { path: "/" } },
      { name: "b", match: { path: "/(", pathType: "regex" as const } },
    ].map((config, index) => ({ config: { upstream: "u", ...config }, index, payload: null }));
    const errors = validateRouterEntries(entries);
    assert.deepEqual(
      errors.map((e) => [e.routeIndex, e.field]),
      [
        [0, "match/path"],
        [2, "match/path"],
      ],
    );
    assert.deepEqual(validateRouterEntries(entries.slice(1, 2)), []);
  });
});
