// The command line as an operator meets it: the real `portcullis` process, its output and exit codes
// (0 ok, 1 invalid configuration, 2 usage or startup failure).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { closedPort } from "./helpers/upstream.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const node = join(repo, "node_modules/.bin/node");
const { version } = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: repo, env, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number | null) : 0;
      resolve({ code: typeof code === "number" ? code : null, stdout, stderr });
    });
  });
}

const cli = (...args: string[]) => run(node, ["src/cli.ts", ...args]);

describe("portcullis CLI", { concurrency: 4 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "portcullis-cli-test-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("--help names the commands", async () => {
    const r = await cli("--help");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: portcullis/);
    assert.match(r.stdout, /\n {2}start \[options\] +run the gateway/);
    assert.match(r.stdout, /\n {2}validate \[options\] +check a configuration file/);
    const start = await cli("start", "--help");
    assert.match(start.stdout, /-c, --config <file>/);
    assert.match(start.stdout, /--no-watch/);
  });

  test("--version and -v print package.json's version", async () => {
    for (const flag of ["--version", "-v"]) {
      const r = await cli(flag);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${version}\n`);
    }
  });

  test("usage mistakes exit 2, apart from invalid configuration's 1", async () => {
    const unknown = await cli("bogus");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'bogus'/);
    const missing = await cli("validate");
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /required option '-c, --config <file>'/);
  });

  test("validate accepts the quickstart example", async () => {
    const r = await cli("validate", "--config", "examples/quickstart.yaml");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /examples\/quickstart\.yaml: ok \(2 routes\)\n$/);
  });

  test("validate prints every mistake as FILE:LINE:COL  /pointer  message", async () => {
    const file = join(dir, "several.yaml");
    const lines = [
      /*  1 */ "version: 1",
      /*  2 */ "listeners:",
      /*  3 */ "  - name: public",
      /*  4 */ "    port: 70000",
      /*  5 */ '    http2: "no"',
      /*  6 */ "admin: { address: 127.0.0.1, port: 0 }",
      /*  7 */ "upstreams:",
      /*  8 */ "  - name: users",
      /*  9 */ "    targets:",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's ${ENV} syntax, not a template
      /* 10 */ "      - url: ${PORTCULLIS_TEST_UNSET}",
      /* 11 */ "    conections: 8",
      /* 12 */ "routes:",
      /* 13 */ "  - name: users",
      /* 14 */ "    match:",
      /* 15 */ "      path: /users",
      /* 16 */ "      pathType: prefx",
      /* 17 */ "    upstream: orders",
      /* 18 */ "  - name: users",
      /* 19 */ "    match: { path: /x }",
      /* 20 */ "    upstream: users",
      /* 21 */ "    upstream: users",
    ];
    await writeFile(file, `${lines.join("\n")}\n`);
    const env = { ...process.env };
    delete env.PORTCULLIS_TEST_UNSET;
    const r = await run(node, ["src/cli.ts", "validate", "--config", file], env);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    // Position, pointer, and a word from the message that shows it is the right complaint.
    const expected: [string, string, RegExp][] = [
      ["4:11", "/listeners/0/port", /65535/],
      ["5:12", "/listeners/0/http2", /true or false/],
      ["10:14", "/upstreams/0/targets/0/url", /PORTCULLIS_TEST_UNSET is not set/],
      ["11:5", "/upstreams/0/conections", /unknown key "conections"/],
      ["16:17", "/routes/0/match/pathType", /"prefx"/],
      ["17:15", "/routes/0/upstream", /"orders"/],
      ["18:11", "/routes/1/name", /duplicate route name "users"/],
      ["21:5", "/routes/1/upstream", /duplicate key "upstream"/],
    ];
    const out = r.stderr.trimEnd().split("\n");
    assert.equal(out.length, expected.length + 1, r.stderr);
    expected.forEach(([at, pointer, words], i) => {
      const prefix = `${file}:${at}  ${pointer}  `;
      assert.ok(out[i].startsWith(prefix), `line ${i + 1}: expected ${prefix}…, got ${out[i]}`);
      assert.match(out[i].slice(prefix.length), words);
    });
    assert.equal(out.at(-1), `${expected.length} error(s)`);
  });

  test("validate reports what only compiling finds, with its line", async () => {
    const file = join(dir, "compile.yaml");
    const text = [
      "version: 1",
      "listeners: [{ name: public, port: 0 }]",
      "trustedProxies: [0.0.0.0/0]",
      "upstreams:",
      "  - name: u",
      "    targets:",
      '      - url: "http://bad host:80"',
      "routes: [{ name: r, match: { path: / }, upstream: u }]",
    ].join("\n");
    await writeFile(file, text);
    const r = await cli("validate", "--config", file);
    assert.equal(r.code, 1, r.stderr);
    const out = r.stderr.trimEnd().split("\n");
    assert.match(out[0], new RegExp(`^${file}:3:18  /trustedProxies/0  .*0\\.0\\.0\\.0/0`));
    assert.equal(out[1], `${file}:7:14  /upstreams/0/targets/0/url  "http://bad host:80" is not a valid URL`);
    assert.equal(out[2], "2 error(s)");
  });

  test("start on an invalid file prints the errors, exits 1 and never listens", async () => {
    const port = await closedPort();
    const file = join(dir, "start.yaml");
    const text = [
      "version: 1",
      `listeners: [{ name: public, address: 127.0.0.1, port: ${port} }]`,
      "admin: { address: 127.0.0.1, port: 0 }",
      "upstreams: [{ name: u, targets: [{ url: http://127.0.0.1:9 }] }]",
      "routes:",
      "  - name: r",
      "    match: { path: /, pathType: exakt }",
      "    upstream: v",
    ].join("\n");
    await writeFile(file, text);
    const r = await cli("start", "--config", file);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stdout, /listening/);
    const out = r.stderr.trimEnd().split("\n");
    assert.match(out[0], new RegExp(`^${file}:7:33  /routes/0/match/pathType  .*"exakt"`));
    assert.match(out[1], new RegExp(`^${file}:8:15  /routes/0/upstream  .*"v"`));
    assert.equal(out[2], "2 error(s); not started");
  });

  test("npx portcullis resolves the package's own bin", async () => {
    const r = await run("npx", ["--no-install", "portcullis", "--version"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${version}\n`);
  });
});
