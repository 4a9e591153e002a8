// Hot reload through a real gateway: zero failed requests while the plan is swapped under traffic, an
// invalid file keeps the old plan serving and says why, pools survive when their upstream is unchanged
// and close once their last request is done, and the file watcher reloads on its own.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Pool, request } from "undici";
import { stringify } from "yaml";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { startUpstream, type TestUpstream } from "./helpers/upstream.ts";

/** An upstream that says who it is, so a response shows which plan routed it. */
function named(name: string) {
  return startUpstream((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(name);
  });
}

/** Polls until `check` passes or `ms` elapse; the last failure is rethrown. */
async function eventually(check: () => Promise<void>, ms = 5_000): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (performance.now() > deadline) throw err;
      await sleep(25);
    }
  }
}

async function body(url: string): Promise<{ status: number; text: string }> {
  const res = await request(url);
  return { status: res.statusCode, text: await res.body.text() };
}

describe("hot reload", () => {
  let a: TestUpstream;
  let b: TestUpstream;
  /** `/` to upstream "one" (a) or to upstream "two" (b); each config names only the upstream it uses. */
  let toA: Record<string, unknown>;
  let toB: Record<string, unknown>;

  before(async () => {
    a = await named("a");
    b = await named("b");
    toA = baseConfig({
      upstreams: [{ name: "one", targets: [{ url: a.url }] }],
      routes: [{ name: "all", match: { path: "/" }, upstream: "one" }],
    });
    toB = baseConfig({
      upstreams: [{ name: "two", targets: [{ url: b.url }] }],
      routes: [{ name: "all", match: { path: "/" }, upstream: "two" }],
    });
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  test("20 reloads under continuous keep-alive traffic fail no request", async (t) => {
    const gw = await startTestGateway(toA);
    const client = new Pool(gw.url, { connections: 8, pipelining: 1 });
    t.after(async () => {
      await client.close();
      await gw.close();
    });
    const statuses = new Map<number, number>();
    const errors: Error[] = [];
    const served = { a: 0, b: 0, other: 0 };
    let running = true;
    const loop = async (n: number) => {
      for (let i = 0; running; i++) {
        try {
          const res = await client.request({ method: "GET", path: `/loop${n}/${i}` });
          const text = await res.body.text();
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          if (text === "a") served.a++;
          else if (text === "b") served.b++;
          else served.other++;
        } catch (err) {
          errors.push(err as Error);
        }
      }
    };
    const loops = Array.from({ length: 8 }, (_, n) => loop(n));

    await sleep(50);
    const seenBefore = { a: a.seen.length, b: b.seen.length };
    const generations: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const to = i % 2 === 1 ? "b" : "a";
      await gw.rewrite(to === "b" ? toB : toA);
      const outcome = await gw.gateway.reload();
      assert.ok(outcome.ok, `reload ${i} refused: ${JSON.stringify(!outcome.ok && outcome.issues)}`);
      generations.push(outcome.plan.generation);
      // Every plan serves a few rounds of all 8 loops before the next swap, however slow the machine.
      const target = served[to] + 16;
      await eventually(async () => assert.ok(served[to] >= target, `plan ${i} got no traffic`));
    }
    await sleep(50);
    running = false;
    await Promise.all(loops);

    const total = [...statuses.values()].reduce((x, y) => x + y, 0);
    const non2xx = [...statuses].filter(([s]) => s < 200 || s > 299).reduce((x, [, n]) => x + n, 0);
    t.diagnostic(
      `requests ${total}, non-2xx ${non2xx}, errors ${errors.length}, served a=${served.a} b=${served.b}`,
    );
    assert.deepEqual(errors, []);
    assert.equal(non2xx, 0, `statuses: ${JSON.stringify([...statuses])}`);
    assert.equal(served.other, 0);
    assert.ok(a.seen.length > seenBefore.a, "a got traffic after the reloads started");
    assert.ok(b.seen.length > seenBefore.b, "b got traffic after the reloads started");
    assert.equal(new Set(generations).size, 20, "every reload produced a new plan");
    // The last config routes to a; after the loops are done its plan is the only one holding a pool.
    assert.equal((await body(`${gw.url}/last`)).text, "a");
    await eventually(async () => assert.equal(gw.gateway.store.pools.size, 1));
    assert.equal(gw.gateway.store.current.inflight, 0);
  });

  describe("an invalid file keeps the previous plan serving", () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway(toA);
    });
    after(() => gw.close());

    const cases: { name: string; text: () => string; expect: { path: string; line: number }[] }[] = [
      {
        name: "a misspelt key",
        text: () =>
          [
            "version: 1",
            "listeners: [{ name: public, address: 127.0.0.1, port: 0, http2: false }]",
            "admin: { address: 127.0.0.1, port: 0 }",
            `upstreams: [{ name: two, targets: [{ url: "${b.url}" }] }]`,
            "routes:",
            "  - name: all",
            "    mtach: { path: / }",
            "    upstream: two",
          ].join("\n"),
        // The stray key, and the `match` it was meant to be.
        expect: [
          { path: "/routes/0", line: 6 },
          { path: "/routes/0/mtach", line: 7 },
        ],
      },
      {
        name: "a YAML syntax error",
        text: () =>
          [
            "version: 1",
            "listeners: [{ name: public, address: 127.0.0.1, port: 0, http2: false }]",
            "admin: { address: 127.0.0.1, port: 0 }",
            `upstreams: [{ name: two, targets: [{ url: "${b.url}" }] }]`,
            "routes:",
            "  - name: all",
            "    match: { path: / }",
            "    upstream: two: three",
          ].join("\n"),
        expect: [{ path: "", line: 8 }],
      },
      {
        name: "a route naming an unknown upstream",
        text: () =>
          [
            "version: 1",
            "listeners: [{ name: public, address: 127.0.0.1, port: 0, http2: false }]",
            "admin: { address: 127.0.0.1, port: 0 }",
            `upstreams: [{ name: two, targets: [{ url: "${b.url}" }] }]`,
            "routes:",
            "  - name: all",
            "    match: { path: / }",
            "    upstream: three",
          ].join("\n"),
        expect: [{ path: "/routes/0/upstream", line: 8 }],
      },
      {
        // Both pass the schema and used to throw while compiling: the reload promise rejected, which in
        // the CLI (SIGHUP, watcher) was an unhandled rejection that stopped the gateway.
        name: "a target URL that does not parse and a /0 trusted block",
        text: () =>
          [
            "version: 1",
            "listeners: [{ name: public, address: 127.0.0.1, port: 0, http2: false }]",
            "admin: { address: 127.0.0.1, port: 0 }",
            "trustedProxies: [10.0.0.0/8, 0.0.0.0/0]",
            "upstreams:",
            "  - name: two",
            "    targets:",
            '      - url: "http://bad host:80"',
            "routes:",
            "  - name: all",
            "    match: { path: / }",
            "    upstream: two",
          ].join("\n"),
        expect: [
          { path: "/trustedProxies/1", line: 4 },
          { path: "/upstreams/0/targets/0/url", line: 8 },
        ],
      },
    ];

    for (const c of cases) {
      test(c.name, async () => {
        const generation = gw.gateway.store.current.generation;
        await writeFile(gw.file, c.text());
        const outcome = await gw.gateway.reload();
        assert.equal(outcome.ok, false);
        if (outcome.ok) return;
        const got = outcome.issues.map((i) => ({ path: i.path, line: i.line }));
        for (const e of c.expect)
          assert.ok(
            got.some((g) => g.path === e.path && g.line === e.line),
            `${JSON.stringify(e)} missing from ${JSON.stringify(outcome.issues)}`,
          );
        for (const i of outcome.issues) {
          assert.equal(i.file, gw.file);
          assert.ok(i.line >= 1 && i.column >= 1 && i.message.length > 0, JSON.stringify(i));
        }
        assert.equal(gw.gateway.store.current.generation, generation, "the old plan is still current");
        assert.deepEqual(await body(`${gw.url}/still`), { status: 200, text: "a" });

        const refusals = gw
          .logs()
          .filter((l) => (l["log.level"] as string) === "error")
          .map((l) => String(l.message));
        const last = refusals.at(-1) ?? "";
        assert.match(last, /reload refused, still serving the previous one/);
        for (const i of outcome.issues) {
          assert.ok(
            last.includes(`${i.file}:${i.line}:${i.column}  ${i.path || "/"}  ${i.message}`),
            `log line lacks ${JSON.stringify(i)}:\n${last}`,
          );
        }
      });
    }

    test("a reload asked for while one runs reads the file after the call", async () => {
      await gw.rewrite(toA);
      const first = gw.gateway.reload();
      const second = gw.gateway.reload();
      const [p1, p2] = await Promise.all([first, second]);
      assert.ok(p1.ok && p2.ok);
      assert.ok(p2.plan.generation > p1.plan.generation, "the second call got a run of its own");
      assert.equal(gw.gateway.store.current, p2.plan);

      const running = gw.gateway.reload();
      writeFileSync(gw.file, "version: 1\nlisteners: [\n");
      const after = await gw.gateway.reload();
      await running;
      assert.equal(after.ok, false, "the broken file written after the first call is what the second saw");
      assert.deepEqual(await body(`${gw.url}/race`), { status: 200, text: "a" });
    });

    test("a valid file is accepted again afterwards", async () => {
      await gw.rewrite(toB);
      const outcome = await gw.gateway.reload();
      assert.equal(outcome.ok, true);
      assert.deepEqual(await body(`${gw.url}/back`), { status: 200, text: "b" });
      assert.equal(gw.gateway.store.current.upstreams.has("two"), true);
    });
  });

  describe("upstream pools", () => {
    let slow: TestUpstream;
    /** Responses held back by the slow upstream until the test lets them go. */
    const held: (() => void)[] = [];
    before(async () => {
      slow = await startUpstream((_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("slow ");
        held.push(() => res.end("done"));
      });
    });
    after(() => slow.close());

    test("an unchanged upstream keeps its pool; a removed one is closed after its last request", async (t) => {
      const both = baseConfig({
        upstreams: [
          { name: "one", targets: [{ url: a.url }] },
          { name: "slow", targets: [{ url: slow.url }] },
        ],
        routes: [
          { name: "slow", match: { path: "/slow" }, upstream: "slow" },
          { name: "all", match: { path: "/" }, upstream: "one" },
        ],
      });
      const gw = await startTestGateway(both);
      t.after(() => gw.close());
      const store = gw.gateway.store;
      const poolOf = (name: string) => store.current.upstreams.get(name)?.targets[0].pool;
      const onePool = poolOf("one");
      const slowPool = poolOf("slow");
      assert.ok(onePool && slowPool);
      assert.equal(store.pools.size, 2);

      // Same config again: a new plan, the same pools.
      assert.equal((await gw.gateway.reload()).ok, true);
      assert.equal(poolOf("one"), onePool);
      assert.equal(poolOf("slow"), slowPool);
      assert.equal(store.pools.size, 2);

      // A request to "slow" is in flight on this plan when "slow" disappears from the config.
      const pending = request(`${gw.url}/slow`);
      await eventually(async () => assert.equal(held.length, 1));
      const oldPlan = store.current;
      await gw.rewrite(toA);
      assert.equal((await gw.gateway.reload()).ok, true);
      assert.equal(poolOf("one"), onePool, "upstream one is unchanged between the two files");
      assert.equal(poolOf("slow"), undefined);
      assert.equal(oldPlan.retired, true);
      assert.equal(oldPlan.inflight, 1);
      assert.equal(store.pools.size, 2, "the retired plan's request still uses its pool");
      assert.equal(slowPool.closed, false);
      assert.deepEqual(
        await body(`${gw.url}/slow`),
        { status: 200, text: "a" },
        "new requests use the new plan",
      );

      held.shift()?.();
      const res = await pending;
      assert.equal(res.statusCode, 200);
      assert.equal(await res.body.text(), "slow done", "the in-flight response was not cut");
      await eventually(async () => {
        assert.equal(oldPlan.inflight, 0);
        assert.equal(store.pools.size, 1);
      });
      assert.equal(slowPool.closed, true);
      assert.equal(onePool.closed, false);
    });
  });

  test("the file watcher reloads without being asked", async (t) => {
    const gw = await startTestGateway(toA, { watch: true });
    t.after(() => gw.close());
    assert.equal((await body(gw.url)).text, "a");
    await gw.rewrite(toB);
    await eventually(async () => assert.equal((await body(gw.url)).text, "b"));
    // A broken save is refused and the previous plan keeps serving; fixing it is picked up again.
    await writeFile(gw.file, "version: 1\nlisteners: [\n");
    await eventually(async () =>
      assert.ok(gw.logs().some((l) => String(l.message).includes("reload refused"))),
    );
    assert.equal((await body(gw.url)).text, "b");
    await gw.rewrite(toA);
    await eventually(async () => assert.equal((await body(gw.url)).text, "a"));
  });

  describe("the real CLI", () => {
    const repo = fileURLToPath(new URL("..", import.meta.url));
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "portcullis-cli-"));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    /** Starts `portcullis start`, resolves with the public port read from the "listening" log line. */
    async function startCli(file: string, ...flags: string[]) {
      const child = spawn(
        join(repo, "node_modules/.bin/node"),
        ["src/cli.ts", "start", "--config", file, ...flags],
        {
          cwd: repo,
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      const lines: Record<string, unknown>[] = [];
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => {
        stderr += c;
      });
      let timer: NodeJS.Timeout | undefined;
      const port = new Promise<number>((resolve, reject) => {
        createInterface({ input: child.stdout }).on("line", (line) => {
          const record = JSON.parse(line) as Record<string, unknown>;
          lines.push(record);
          if (record.message === "listening") resolve(record.port as number);
        });
        child.once("exit", (code) => reject(new Error(`exited ${code} before listening: ${stderr}`)));
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`no "listening" line on stdout within 10 s; stderr: ${stderr}`));
        }, 10_000);
      }).finally(() => clearTimeout(timer));
      return { child, lines, url: `http://127.0.0.1:${await port}` };
    }

    async function stop(child: ChildProcess): Promise<number | null> {
      const exited = once(child, "exit") as Promise<[number | null, string | null]>;
      child.kill("SIGTERM");
      const [code] = await exited;
      return code;
    }

    test("SIGHUP reloads the file", async (t) => {
      const file = join(dir, "sighup.yaml");
      await writeFile(file, stringify(toA));
      const { child, lines, url } = await startCli(file, "--no-watch");
      t.after(() => child.kill("SIGKILL"));
      assert.equal((await body(url)).text, "a");
      await writeFile(file, stringify(toB));
      // --no-watch: nothing changes until the signal.
      await sleep(300);
      assert.equal((await body(url)).text, "a");
      child.kill("SIGHUP");
      await eventually(async () => assert.equal((await body(url)).text, "b"));
      assert.ok(lines.some((l) => l.message === "configuration reloaded"));

      // A file that fails to compile is refused on SIGHUP; the process keeps serving the plan it has.
      await writeFile(
        file,
        stringify({ ...toA, upstreams: [{ name: "one", targets: [{ url: "http://a b" }] }] }),
      );
      child.kill("SIGHUP");
      await eventually(async () =>
        assert.ok(lines.some((l) => String(l.message).includes("reload refused"))),
      );
      const refused = lines.find((l) => String(l.message).includes("reload refused"));
      assert.match(
        String(refused?.message),
        /:\d+:\d+ {2}\/upstreams\/0\/targets\/0\/url {2}"http:\/\/a b" is not a valid URL/,
      );
      assert.equal(child.exitCode, null);
      assert.equal((await body(url)).text, "b");
      assert.equal(await stop(child), 0);
      assert.ok(lines.some((l) => l.message === "stopped"));
    });

    test("the watcher reloads on a change, with no signal", async (t) => {
      const file = join(dir, "watch.yaml");
      await writeFile(file, stringify(toA));
      const { child, url } = await startCli(file);
      t.after(() => child.kill("SIGKILL"));
      assert.equal((await body(url)).text, "a");
      await writeFile(file, stringify(toB));
      await eventually(async () => assert.equal((await body(url)).text, "b"));
      assert.equal(await stop(child), 0);
    });
  });
});
