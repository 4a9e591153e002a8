// Steps 6-7 through the running gateway: host and path matching, 404 and 405 (with Allow), priorities,
// strip-prefix and rewrite reaching the upstream.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { startUpstream, type TestUpstream } from "./helpers/upstream.ts";

describe("routing through the gateway", () => {
  let a: TestUpstream;
  let b: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    a = await startUpstream((req, res) => res.end(JSON.stringify({ up: "a", url: req.url })));
    b = await startUpstream((req, res) => res.end(JSON.stringify({ up: "b", url: req.url })));
    gw = await startTestGateway(
      baseConfig({
        upstreams: [
          { name: "a", targets: [{ url: a.url }] },
          { name: "b", targets: [{ url: b.url }] },
        ],
        routes: [
          {
            name: "api",
            match: { hosts: ["api.example.test"], path: "/v1", methods: ["GET", "POST"] },
            upstream: "a",
            stripPrefix: true,
          },
          { name: "wild", match: { hosts: ["*.example.test"], path: "/" }, upstream: "b" },
          {
            name: "user",
            match: { path: "/users/:id", pathType: "template" },
            upstream: "a",
            rewrite: "/people/:id",
          },
          {
            name: "beta",
            match: { path: "/users/:id", pathType: "template", headers: { "x-beta": "1" } },
            upstream: "b",
            priority: 5,
          },
          {
            name: "q",
            match: { path: "/search", pathType: "exact", query: { v: { regex: "[0-9]+" } } },
            upstream: "b",
          },
          { name: "ro", match: { path: "/ro", methods: ["GET"] }, upstream: "a" },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await a.close();
    await b.close();
  });

  async function get(path: string, headers: Record<string, string> = {}, method = "GET") {
    const res = await request(`${gw.url}${path}`, { method: method as "GET", headers });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, json: JSON.parse(text) as Record<string, string> };
  }

  test("exact host and prefix with strip-prefix", async () => {
    const r = await get("/v1/things?x=1", { host: "api.example.test" });
    assert.deepEqual(r.json, { up: "a", url: "/things?x=1" });
  });

  test("wildcard host catches other subdomains", async () => {
    const r = await get("/v1/things", { host: "www.example.test" });
    assert.deepEqual(r.json, { up: "b", url: "/v1/things" });
  });

  test("template rewrite, and a header match with higher priority", async () => {
    assert.deepEqual((await get("/users/42")).json, { up: "a", url: "/people/42" });
    assert.deepEqual((await get("/users/42", { "x-beta": "1" })).json, { up: "b", url: "/users/42" });
  });

  test("query matcher", async () => {
    assert.equal((await get("/search?v=12")).json.up, "b");
    const miss = await get("/search?v=abc");
    assert.equal(miss.status, 404);
  });

  test("no route → 404 NO_ROUTE problem", async () => {
    const r = await get("/nothing-here");
    assert.equal(r.status, 404);
    assert.equal(r.headers["content-type"], "application/problem+json");
    assert.equal(r.json.code, "NO_ROUTE");
    assert.equal(r.json.requestId, r.headers["x-request-id"]);
  });

  test("path matches but method does not → 405 with Allow", async () => {
    const r = await get("/ro", {}, "DELETE");
    assert.equal(r.status, 405);
    assert.equal(r.json.code, "METHOD_NOT_ALLOWED");
    assert.equal(r.headers.allow, "GET, HEAD");
  });
});
