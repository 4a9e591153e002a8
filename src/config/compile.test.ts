// Ring 2: the compiled plan without sockets — policy chains per route (route over global, phase order),
// the router wired to them, and compile-time issues with their config paths.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { PoolRegistry } from "../upstream/pools.ts";
import { compilePlan, releasePlan } from "./compile.ts";
import type { Config } from "./schema.ts";

const pools = new PoolRegistry();
after(() => pools.closeAll());

function config(extra: Partial<Config> = {}): Config {
  return {
    version: 1,
    listeners: [{ name: "l", port: 0 }],
    upstreams: [
      { name: "u", targets: [{ url: "http://127.0.0.1:1" }, { url: "http://127.0.0.1:2", weight: 2 }] },
    ],
    policies: { headers: { response: { set: { "x-global": "1" } } }, cors: { origins: ["*"] } },
    routes: [
      {
        name: "own",
        match: { path: "/own" },
        upstream: "u",
        policies: { headers: { request: { set: { a: "b" } } } },
      },
      { name: "plain", match: { path: "/" }, upstream: "u" },
    ],
    ...extra,
  };
}

const input = (path: string) => ({ method: "GET", host: "h", path, query: "", headers: {} });

test("each route gets its chain: route policies replace global ones, phases in the seed's order", () => {
  const out = compilePlan(config(), pools);
  assert.ok(out.ok);
  const own = out.plan.router.match(input("/own/x"));
  const plain = out.plan.router.match(input("/elsewhere"));
  assert.ok(own.kind === "route" && plain.kind === "route");
  // cors (edge phase) runs before headers (transform phase).
  assert.deepEqual(own.route.chain.names, ["cors", "headers"]);
  assert.deepEqual(plain.route.chain.names, ["cors", "headers"]);
  assert.equal(
    own.route.chain.onRequest?.length,
    1 + 1,
    "cors preflight hook + the route's request headers hook",
  );
  assert.equal(plain.route.chain.onRequest?.length, 1, "the global headers policy has response ops only");
  releasePlan(out.plan, pools);
});

test("weighted round robin spreads turns by weight", () => {
  const out = compilePlan(config(), pools);
  assert.ok(out.ok);
  const u = out.plan.upstreams.get("u")!;
  const picks = Array.from({ length: 6 }, () => u.pick()!.address);
  assert.deepEqual(picks.filter((a) => a.endsWith(":2")).length, 4);
  assert.deepEqual(picks.slice(0, 3).sort(), ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:2"]);
  releasePlan(out.plan, pools);
});

test("compile issues carry the config path of what is wrong, and all of them are reported", () => {
  const out = compilePlan(
    config({
      policies: { cors: { origins: ["*"], credentials: true } },
      routes: [
        { name: "a", match: { path: "/a" }, upstream: "nope" },
        {
          name: "b",
          match: { path: "/b" },
          upstream: "u",
          policies: { headers: { request: { set: { connection: "x" } } } },
        },
      ],
    }),
    pools,
  );
  assert.ok(!out.ok);
  const paths = out.issues.map((i) => i.path).sort();
  assert.equal(paths.length, 3, JSON.stringify(out.issues));
  assert.ok(paths[0].startsWith("/policies/cors"));
  assert.equal(paths[1], "/routes/0/upstream");
  assert.ok(paths[2].startsWith("/routes/1/policies/headers"));
});

test("a failed compile gives its pools back", () => {
  const before = pools.size;
  const out = compilePlan(
    config({ routes: [{ name: "a", match: { path: "/a" }, upstream: "nope" }] }),
    pools,
  );
  assert.ok(!out.ok);
  assert.equal(pools.size, before);
});
