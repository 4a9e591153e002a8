// Graceful shutdown, in process and through the real CLI with SIGTERM: requests in flight finish, new
// connections are refused, readiness says 503 while draining, and the grace period is a hard deadline.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Client, request } from "undici";
import { stringify } from "yaml";
import { baseConfig, startTestGateway } from "./helpers/gateway.ts";
import { openRaw } from "./helpers/raw.ts";
import { startRawUpstream, startUpstream, type TestUpstream } from "./helpers/upstream.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An upstream that answers "late" `delayMs` after each request; `arrival(url)` resolves when that one arrives. */
async function slowUpstream(delayMs: number) {
  const waiting = new Map<string, () => void>();
  const arrivedUrls = new Set<string>();
  const up = await startUpstream((_req, res) => {
    setTimeout(() => res.end("late"), delayMs);
  });
  (up.server as http.Server).on("request", (req: http.IncomingMessage) => {
    arrivedUrls.add(req.url ?? "");
    waiting.get(req.url ?? "")?.();
  });
  const arrival = (url: string) =>
    arrivedUrls.has(url) ? Promise.resolve() : new Promise<void>((r) => waiting.set(url, r));
  return { up, arrival };
}

function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
  });
}

describe("graceful shutdown (in process)", () => {
  const upstreams: TestUpstream[] = [];
  after(async () => {
    for (const u of upstreams) await u.close();
  });

  test("in-flight requests finish, new connections are refused, readyz is 503 while draining", async () => {
    const { up, arrival } = await slowUpstream(500);
    upstreams.push(up);
    const gw = await startTestGateway(
      baseConfig({
        upstreams: [{ name: "slow", targets: [{ url: up.url }] }],
        routes: [{ name: "all", match: { path: "/" }, upstream: "slow" }],
      }),
    );
    const client = new Client(gw.url);
    try {
      // An idle keep-alive connection, which the drain should close rather than wait for.
      const idle = await openRaw(gw.port);
      assert.equal((await idle.exchange("GET /idle HTTP/1.1\r\nHost: x\r\n\r\n", 3_000)).status, 200);

      const inFlight = request(`${gw.url}/slow`, { dispatcher: client }).then(async (res) => ({
        status: res.statusCode,
        connection: res.headers.connection,
        body: await res.body.text(),
        at: performance.now(),
      }));
      await arrival("/slow");
      assert.equal((await request(`${gw.adminUrl}/readyz`)).statusCode, 200);

      const started = performance.now();
      let stoppedAt = 0;
      const stopping = gw.gateway.shutdown(5_000).then(() => {
        stoppedAt = performance.now();
      });
      assert.equal(gw.gateway.draining, true);
      assert.equal(await connectRefused(gw.port), true, "new connections are refused");
      const ready = await request(`${gw.adminUrl}/readyz`);
      assert.equal(ready.statusCode, 503, "readiness fails while draining");
      assert.equal(((await ready.body.json()) as { code: string }).code, "NOT_READY");
      const idleClosed = await Promise.race([idle.closed.then(() => true), sleep(300).then(() => false)]);
      assert.equal(idleClosed, true, "idle keep-alive connections are closed at once");
      assert.equal(stoppedAt, 0, "shutdown waits for the request in flight");

      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.equal(res.body, "late");
      assert.equal(res.connection, "close", "a response finished during the drain does not offer keep-alive");
      await stopping;
      assert.ok(stoppedAt >= res.at, "shutdown resolved after the request finished");
      assert.ok(stoppedAt - started < 2_000, `shutdown took ${stoppedAt - started} ms`);
      // The admin listener closes last, once the drain is over.
      assert.equal(await connectRefused(gw.gateway.admin!.port), true);
      const logs = gw.logs();
      assert.ok(!logs.some((l) => l.message === "grace period over, cutting requests"));
      assert.ok(logs.some((l) => l.message === "stopped"));
    } finally {
      await client.close().catch(() => {});
      await gw.close();
    }
  });

  test("the grace period is a deadline: a hung request is cut and shutdown resolves", async () => {
    let upstreamGotRequest!: () => void;
    const got = new Promise<void>((r) => {
      upstreamGotRequest = r;
    });
    let upstreamSocketClosed = false;
    const hung = await startRawUpstream((s) => {
      s.once("data", () => upstreamGotRequest());
      s.once("close", () => {
        upstreamSocketClosed = true;
      });
    });
    upstreams.push(hung);
    const gw = await startTestGateway(
      baseConfig({
        upstreams: [{ name: "hung", targets: [{ url: hung.url }] }],
        routes: [{ name: "all", match: { path: "/" }, upstream: "hung" }],
      }),
    );
    const client = new Client(gw.url);
    try {
      const outcome = request(`${gw.url}/hang`, { dispatcher: client, headersTimeout: 10_000 }).then(
        (res) => ({ status: res.statusCode, error: undefined as Error | undefined }),
        (error: Error) => ({ status: 0, error }),
      );
      await got;
      const started = performance.now();
      await gw.gateway.shutdown(500);
      const took = performance.now() - started;
      assert.ok(took >= 450 && took < 1_500, `shutdown took ${took} ms`);
      const r = await outcome;
      assert.equal(r.status, 0, "no response: the connection was cut");
      assert.ok(r.error, "the client saw an error");
      await sleep(50);
      assert.equal(upstreamSocketClosed, true, "the upstream request was aborted too");
      assert.ok(gw.logs().some((l) => l.message === "grace period over, cutting requests"));
    } finally {
      await client.close().catch(() => {});
      await gw.close();
    }
  });
});

describe("graceful shutdown (CLI, SIGTERM)", () => {
  const NODE = fileURLToPath(new URL("../node_modules/.bin/node", import.meta.url));
  const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
  let child: ChildProcess | undefined;
  let up: TestUpstream | undefined;
  let dir: string | undefined;

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await up?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("SIGTERM lets the request in flight finish, then the process exits 0 within the grace period", async () => {
    const slow = await slowUpstream(700);
    up = slow.up;
    dir = await mkdtemp(join(tmpdir(), "portcullis-cli-"));
    const file = join(dir, "gateway.yaml");
    await writeFile(
      file,
      stringify(
        baseConfig({
          upstreams: [{ name: "slow", targets: [{ url: up.url }] }],
          routes: [{ name: "all", match: { path: "/" }, upstream: "slow" }],
          limits: { shutdownGraceMs: 3_000 },
        }),
      ),
    );
    const proc = spawn(NODE, [CLI, "start", "--config", file, "--no-watch"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    let stderr = "";
    proc.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) =>
      proc.once("exit", (code, signal) => resolve({ code, signal, at: performance.now() })),
    );
    const lines: Record<string, unknown>[] = [];
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening" line; stderr: ${stderr}`)), 10_000);
      createInterface({ input: proc.stdout! }).on("line", (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        lines.push(entry);
        if (entry.message === "listening") {
          clearTimeout(timer);
          resolve(entry.port as number);
        }
      });
      void exited.then(() => reject(new Error(`exited early; stderr: ${stderr}`)));
    });

    const client = new Client(`http://127.0.0.1:${port}`);
    try {
      const inFlight = request(`http://127.0.0.1:${port}/slow`, { dispatcher: client }).then(async (res) => ({
        status: res.statusCode,
        body: await res.body.text(),
        at: performance.now(),
      }));
      await slow.arrival("/slow");
      const signalledAt = performance.now();
      proc.kill("SIGTERM");
      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.equal(res.body, "late");
      const exit = await exited;
      assert.equal(exit.code, 0, `exit ${exit.code} ${exit.signal}; stderr: ${stderr}`);
      assert.ok(exit.at >= res.at, "the process outlived the request in flight");
      assert.ok(exit.at - signalledAt < 3_000, `exited ${exit.at - signalledAt} ms after SIGTERM`);
      assert.ok(lines.some((l) => l.message === "signal received" && l.signal === "SIGTERM"));
      assert.ok(lines.some((l) => l.message === "stopped"));
    } finally {
      await client.close().catch(() => {});
    }
  });
});
