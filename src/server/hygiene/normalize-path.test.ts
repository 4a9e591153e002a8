import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type NormalizePathOptions, normalizePath } from "./normalize-path.ts";

const STRICT: NormalizePathOptions = { encodedSlashes: "reject", mergeSlashes: true };
const KEEP: NormalizePathOptions = { encodedSlashes: "keep", mergeSlashes: true };
const NO_MERGE: NormalizePathOptions = { encodedSlashes: "reject", mergeSlashes: false };

type Row = [target: string, path: string, query?: string];

function expectOk(rows: Row[], opts: NormalizePathOptions): void {
  for (const [target, path, query = ""] of rows) {
    const r = normalizePath(target, opts);
    assert.deepEqual(r, { ok: true, path, query, authority: "" }, `normalizePath(${JSON.stringify(target)})`);
  }
}

function expectFail(rows: [target: string, reasonPart: string][], opts: NormalizePathOptions): void {
  for (const [target, reasonPart] of rows) {
    const r = normalizePath(target, opts);
    assert.equal(
      r.ok,
      false,
      `normalizePath(${JSON.stringify(target)}) should fail, got ${JSON.stringify(r)}`,
    );
    if (!r.ok) assert.match(r.reason, new RegExp(reasonPart), `reason for ${JSON.stringify(target)}`);
  }
}

describe("normalizePath", () => {
  test("clean targets come back unchanged (fast path)", () => {
    expectOk(
      [
        ["/", "/"],
        ["/a", "/a"],
        ["/a/b/c", "/a/b/c"],
        ["/a/b/", "/a/b/"],
        ["/.well-known/openid-configuration", "/.well-known/openid-configuration"],
        ["/a/.b/..c/...", "/a/.b/..c/..."],
        ["/v1/items:batchGet", "/v1/items:batchGet"],
        ["/users/@me", "/users/@me"],
        ["/a-b_c~d.e", "/a-b_c~d.e"],
        ["/!$&'()*+,;=", "/!$&'()*+,;="],
        ["/a?x=1&y=2", "/a", "x=1&y=2"],
        ["/a?", "/a", ""],
        ["/?q", "/", "q"],
        ["/a?b?c", "/a", "b?c"],
        ["/a?x=/../b", "/a", "x=/../b"],
        ["/a?x=%zz", "/a", "x=%zz"],
        ["/a?x={|}^`\\", "/a", "x={|}^`\\"],
      ],
      STRICT,
    );
  });

  test("bypass spellings of /admin all normalize to /admin or are refused", () => {
    expectOk(
      [
        ["/admin/../admin", "/admin"],
        ["//admin", "/admin"],
        ["///admin", "/admin"],
        ["/%61dmin", "/admin"],
        ["/%61%64%6D%69%6E", "/admin"],
        ["/./admin", "/admin"],
        ["/%2e/admin", "/admin"],
        ["/%2e%2e/admin", "/admin"],
        ["/%2E%2E/admin", "/admin"],
        ["/.%2e/admin", "/admin"],
        ["/x/../admin", "/admin"],
        ["/x/y/../../admin", "/admin"],
        ["/../admin", "/admin"],
        ["/../../../admin", "/admin"],
        ["/public/%2e%2e/admin", "/admin"],
      ],
      STRICT,
    );
    // Dot at the end keeps the directory form, as RFC 3986 §5.2.4 does.
    expectOk(
      [
        ["/admin/.", "/admin/"],
        ["/admin/x/..", "/admin/"],
      ],
      STRICT,
    );
    expectFail(
      [
        ["/admin%2F..", "encoded slash"],
        ["/admin%2f..", "encoded slash"],
        ["/admin%00", "NUL"],
        ["/admin\\..", "not allowed in path"],
        ["/admin\\", "not allowed in path"],
        ["/public/..;/admin", "parameters"],
        ["/public/.;/admin", "parameters"],
        ["/public/..;x=1/admin", "parameters"],
        ["/public/%2e%2e;/admin", "parameters"],
        ["/..;", "parameters"],
      ],
      STRICT,
    );
  });

  test("case is preserved and ';' parameters stay literal", () => {
    expectOk(
      [
        ["/ADMIN", "/ADMIN"],
        ["/Admin/Users", "/Admin/Users"],
        ["/admin;jsessionid=1", "/admin;jsessionid=1"],
        ["/admin;jsessionid=1/x", "/admin;jsessionid=1/x"],
        ["/a;b/../c", "/c"],
        ["/a/...;x", "/a/...;x"],
      ],
      STRICT,
    );
  });

  test("percent-encoding: unreserved decoded, the rest uppercased", () => {
    expectOk(
      [
        ["/%41%5a%61%7A%30%39%2D%2E%5F%7E", "/AZaz09-._~"],
        ["/a%2db", "/a-b"],
        ["/caf%c3%a9", "/caf%C3%A9"],
        ["/a%20b", "/a%20b"],
        ["/a%3fb", "/a%3Fb"],
        ["/a%23b", "/a%23b"],
        ["/a%25b", "/a%25b"],
        ["/a%25%32%46", "/a%252F"],
        ["/%3b", "/%3B"],
        ["/a%0a", "/a%0A"],
        ["/%7f", "/%7F"],
        ["/%ff", "/%FF"],
      ],
      STRICT,
    );
    expectFail(
      [
        ["/%zz", "percent-encoding"],
        ["/%4", "percent-encoding"],
        ["/a%", "percent-encoding"],
        ["/a%g0", "percent-encoding"],
        ["/a%0g", "percent-encoding"],
        ["/%4/x", "percent-encoding"],
        ["/%00", "NUL"],
        ["/a/%00/b", "NUL"],
        ["/a%2Fb", "encoded slash"],
        ["/a%5Cb", "encoded slash"],
        ["/a%5cb", "encoded slash"],
      ],
      STRICT,
    );
  });

  test("encodedSlashes keep: %2F and %5C stay opaque and uppercased", () => {
    expectOk(
      [
        ["/a%2fb", "/a%2Fb"],
        ["/a%5cb", "/a%5Cb"],
        ["/admin%2F..", "/admin%2F.."],
        ["/x/a%2F../..", "/x/"],
        ["/files/dir%2Fname/", "/files/dir%2Fname/"],
      ],
      KEEP,
    );
    expectFail([["/a%00", "NUL"]], KEEP);
  });

  test("slash merging happens after dot-segment removal, as in Envoy", () => {
    expectOk(
      [
        ["/a//b", "/a/b"],
        ["/a///b//", "/a/b/"],
        ["//", "/"],
        ["/a//../b", "/a/b"],
        ["/a/b//", "/a/b/"],
        ["/a/.//b", "/a/b"],
      ],
      STRICT,
    );
    expectOk(
      [
        ["/a//b", "/a//b"],
        ["//admin", "//admin"],
        ["/a//../b", "/a/b"],
        ["/a/.//b", "/a//b"],
        ["/a//", "/a//"],
      ],
      NO_MERGE,
    );
  });

  test("empty and root-escaping paths become /", () => {
    expectOk(
      [
        ["/.", "/"],
        ["/..", "/"],
        ["/./", "/"],
        ["/../", "/"],
        ["/a/..", "/"],
        ["/a/../..", "/"],
        ["/%2e", "/"],
      ],
      STRICT,
    );
  });

  test("raw characters outside pchar are refused", () => {
    const bad = [
      " ",
      '"',
      "<",
      ">",
      "\\",
      "^",
      "`",
      "{",
      "|",
      "}",
      "[",
      "]",
      "\t",
      "\x01",
      "\x7f",
      "é",
      "\u2028",
    ];
    for (const ch of bad) expectFail([[`/a${ch}b`, "not allowed in path"]], STRICT);
    // Also refused on the slow path (after a '%').
    for (const ch of bad) expectFail([[`/%41${ch}b`, "not allowed in path"]], STRICT);
  });

  test("fragments and bad query characters are refused", () => {
    expectFail(
      [
        ["/a#b", "fragment"],
        ["/#", "fragment"],
        ["/a?b#c", "fragment"],
        ["/a?b c", "query"],
        ["/a?b\x00", "query"],
        ["/a?b\x7f", "query"],
        ["/a?é", "query"],
      ],
      STRICT,
    );
  });

  test("absolute-form: the path is taken and the authority returned", () => {
    const rows: [string, string, string, string][] = [
      ["http://example.com/a/b?x=1", "/a/b", "x=1", "example.com"],
      ["https://example.com:8443/a", "/a", "", "example.com:8443"],
      ["HTTP://Example.COM/a/../b", "/b", "", "Example.COM"],
      ["http://example.com", "/", "", "example.com"],
      ["http://example.com?q=1", "/", "q=1", "example.com"],
      ["http://[::1]:8080//x", "/x", "", "[::1]:8080"],
    ];
    for (const [target, path, query, authority] of rows) {
      assert.deepEqual(normalizePath(target, STRICT), { ok: true, path, query, authority }, target);
    }
    expectFail(
      [
        ["http://user@example.com/a", "authority"],
        ["http:///a", "authority"],
        ["http://exa mple.com/a", "authority"],
        ["http://example.com#x", "fragment"],
        ["http://example.com/a#x", "fragment"],
        ["ftp://example.com/a", "neither"],
        ["http:/example.com/a", "neither"],
        ["httpx://example.com/a", "neither"],
      ],
      STRICT,
    );
  });

  test("other request-target forms are refused", () => {
    expectFail(
      [
        ["", "neither"],
        ["*", "neither"],
        ["example.com:443", "neither"],
        ["a/b", "neither"],
        ["\\admin", "neither"],
        ["?x", "neither"],
      ],
      STRICT,
    );
  });

  test("normalizing is idempotent: a normalized path normalizes to itself", () => {
    const inputs = [
      "/a/./b/../c//d/",
      "/%61%2e%2E/x",
      "/a%c3%a9/%2e%2e/b;p=1",
      "/x/y/z/../../..",
      "//a//b//",
      "/a/b/..",
    ];
    for (const opts of [STRICT, KEEP, NO_MERGE]) {
      for (const input of inputs) {
        const once = normalizePath(input, opts);
        assert.ok(once.ok, input);
        assert.deepEqual(normalizePath(once.path, opts), once, `${input} -> ${once.path}`);
      }
    }
  });
});
