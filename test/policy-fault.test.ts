// A policy that throws costs its request a 500 (no internals shown) and a log line, never the process.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { standInPolicy } from "./helpers/stand-in-policy.ts";
import { startUpstream, type TestUpstream } from "./helpers/upstream.ts";

let restore: () => void = () => {};
let gw: TestGateway;
let up: TestUpstream;

before(async () => {
  // A stand-in with a bug: synchronous throws on /sync, rejected promises on /async.
  restore = standInPolicy("headers", () => ({
    onRequest(req) {
      if (req.path === "/sync") throw new Error("bug in a policy");
      if (req.path === "/async") return Promise.reject(new Error("async bug in a policy"));
      return undefined;
    },
  }));
  up = await startUpstream();
  gw = await startTestGateway(
    baseConfig({
      upstreams: [{ name: "up", targets: [{ url: up.url }] }],
      routes: [{ name: "all", match: { path: "/" }, upstream: "up", policies: { headers: {} } }],
    }),
  );
});

after(async () => {
  restore();
  await gw?.close();
  await up?.close();
});

test("sync and async policy faults: 500 INTERNAL without internals, logged, and the gateway keeps serving", async () => {
  for (const path of ["/sync", "/async"]) {
    const res = await fetch(`${gw.url}${path}`);
    const body = (await res.json()) as { code: string; detail: string };
    assert.equal(res.status, 500);
    assert.equal(body.code, "INTERNAL");
    assert.equal(body.detail, "a policy failed");
  }
  assert.equal((await fetch(`${gw.url}/fine`)).status, 200);
  const faults = gw.logs().filter((l) => l.message === "a policy failed");
  assert.equal(faults.length, 2);
  assert.match(JSON.stringify(faults), /bug in a policy/);
});
