// captureResponse(): the copy of an upstream response a caching policy stores. Small bodies are copied
// whole with the upstream's own headers; bodies over the cap stream through uncopied; every request that
// asked hears back exactly once, also when no upstream answered.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { CapturedResponse } from "../src/pipeline/types.ts";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { standInPolicy } from "./helpers/stand-in-policy.ts";
import { startUpstream, type TestUpstream } from "./helpers/upstream.ts";

let restore: () => void = () => {};
const seen = new Map<string, (CapturedResponse | undefined)[]>();
let gw: TestGateway;
let up: TestUpstream;

before(async () => {
  // A stand-in that asks for a copy of every response (cap 1 KiB) and adds a header of its own.
  restore = standInPolicy("headers", () => ({
    onRequest(req) {
      const list: (CapturedResponse | undefined)[] = [];
      seen.set(req.path, list);
      req.captureResponse(1024, (r) => list.push(r));
      return req.path === "/local" ? { status: 204 } : undefined;
    },
    onResponse(_req, res) {
      res.headers["x-added-by-policy"] = "1";
    },
  }));
  up = await startUpstream((req, res) => {
    const size = req.url === "/big" ? 100_000 : 300;
    const body = Buffer.alloc(size, 0xab);
    body[0] = 0x00;
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "cache-control": "max-age=60",
      connection: "x-hop",
      "x-hop": "1",
    });
    res.end(body);
  });
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

test("a small response is copied whole, with the upstream's headers (hop-by-hop removed, no policy changes)", async () => {
  const res = await fetch(`${gw.url}/small`);
  const body = Buffer.from(await res.arrayBuffer());
  assert.equal(res.headers.get("x-added-by-policy"), "1");
  await new Promise((r) => setTimeout(r, 20));
  const [copy, ...more] = seen.get("/small") ?? [];
  assert.equal(more.length, 0, "exactly once");
  assert.ok(copy);
  assert.equal(copy.status, 200);
  assert.equal(copy.headers["cache-control"], "max-age=60");
  assert.equal(copy.headers["x-hop"], undefined);
  assert.equal(copy.headers["x-added-by-policy"], undefined);
  assert.equal(copy.headers["x-request-id"], undefined);
  assert.deepEqual(copy.body, body);
});

test("a body over the cap streams to the client whole and is not copied", async () => {
  const res = await fetch(`${gw.url}/big`);
  assert.equal((await res.arrayBuffer()).byteLength, 100_000);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seen.get("/big"), [undefined]);
});

test("no upstream answered (a local reply): the policy still hears, once, with nothing", async () => {
  assert.equal((await fetch(`${gw.url}/local`)).status, 204);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seen.get("/local"), [undefined]);
});
