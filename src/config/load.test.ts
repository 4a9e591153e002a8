import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { PoolRegistry } from "../upstream/pools.ts";
import { ConfigError, formatIssues, loadConfigFile, loadConfigText, locate } from "./load.ts";
import { compileLoaded } from "./store.ts";

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));

describe("examples/full.yaml", () => {
  test("loads without any environment variable, with every section present", async () => {
    const r = await loadConfigFile(path.join(examples, "full.yaml"), {});
    assert.ok(r.ok, r.ok ? "" : formatIssues(r.errors));
    const c = r.config;
    for (const key of [
      "listeners",
      "admin",
      "limits",
      "hygiene",
      "trustedProxies",
      "log",
      "upstreams",
      "routes",
    ]) {
      assert.ok(key in c, key);
    }
    assert.equal(c.listeners[0].port, 8080);
    assert.equal(c.upstreams[0].targets[0].url, "http://127.0.0.1:9001");
    assert.deepEqual(
      c.routes.map((x) => x.match.pathType ?? "prefix"),
      ["template", "prefix", "regex", "prefix", "exact"],
    );
  });

  test("TLS files come back as absolute paths that exist", async () => {
    const r = await loadConfigFile(path.join(examples, "full.yaml"), {});
    assert.ok(r.ok);
    const certs = r.config.listeners[1].tls?.certificates ?? [];
    assert.equal(certs.length, 2);
    for (const file of [...certs.flatMap((c) => [c.cert, c.key]), r.config.upstreams[1].tls?.ca ?? ""]) {
      assert.ok(path.isAbsolute(file) && existsSync(file), file);
      assert.ok(file.startsWith(path.join(examples, "certs")), file);
    }
  });

  test("also passes the plan compile (router, policies, upstreams), as `portcullis validate` does", async () => {
    const r = await loadConfigFile(path.join(examples, "full.yaml"), {});
    assert.ok(r.ok);
    const pools = new PoolRegistry();
    try {
      const compiled = compileLoaded(r.config, pools, (p) => ({ file: "full.yaml", ...locate(r.source, p) }));
      assert.ok(compiled.ok, compiled.ok ? "" : formatIssues(compiled.issues));
    } finally {
      await pools.closeAll();
    }
  });

  test("environment variables override the defaults", async () => {
    const r = await loadConfigFile(path.join(examples, "full.yaml"), {
      PUBLIC_ADDRESS: "0.0.0.0",
      DEPLOY_ENV: "production",
      BILLING_TLS_NAME: "billing.internal",
    });
    assert.ok(r.ok, r.ok ? "" : formatIssues(r.errors));
    assert.equal(r.config.listeners[0].address, "0.0.0.0");
    assert.equal(r.config.routes[1].policies?.headers?.request?.set?.["x-environment"], "production");
    assert.equal(r.config.upstreams[1].tls?.serverName, "billing.internal");
  });
});

describe("examples/invalid.yaml", () => {
  test("every mistake is reported at once, at its line and column, sorted by line", async () => {
    const file = path.join(examples, "invalid.yaml");
    const r = await loadConfigFile(file, {});
    assert.ok(!r.ok);
    assert.ok(r.errors.every((e) => e.file === file));
    const got = r.errors.map((e) => [e.line, e.column, e.path, e.message]);
    const want: [number, number, string, RegExp][] = [
      [8, 11, "/listeners/0/port", /^must be at most 65535; got the number 80800$/],
      [9, 12, "/listeners/0/http2", /^expected true or false; got the string "yes"/],
      [11, 5, "/listeners/1/adress", /^unknown key "adress"; did you mean "address"\?$/],
      [16, 14, "/upstreams/0/targets/0/url", /^environment variable USERS_URL is not set/],
      [17, 11, "/upstreams/1/name", /^duplicate upstream name "users" \(first used at line 14\)$/],
      [24, 22, "/routes/0/match/methods/1", /^must be an HTTP method in capitals/],
      [25, 15, "/routes/0/upstream", /^no upstream named "user"; did you mean "users"\?$/],
      [29, 7, "/routes/1/match/path", /^duplicate key "path" \(first given at line 28\)/],
      [
        30,
        17,
        "/routes/1/match/pathType",
        /^must be one of "prefix", "exact", "template", "regex"; .*did you mean "prefix"\?$/,
      ],
      [32, 18, "/trustedProxies/0", /^"10\.0\.0\.0\/33" is not an IP address or CIDR block/],
    ];
    assert.equal(got.length, want.length, formatIssues(r.errors));
    want.forEach(([line, column, pointer, message], i) => {
      assert.deepEqual(got[i].slice(0, 3), [line, column, pointer], formatIssues([r.errors[i]]));
      assert.match(String(got[i][3]), message);
    });
  });

  test("the unset variable stops being an issue once it is set", async () => {
    const r = await loadConfigFile(path.join(examples, "invalid.yaml"), {
      USERS_URL: "http://127.0.0.1:9001",
    });
    assert.ok(!r.ok);
    assert.ok(!r.errors.some((e) => e.path.startsWith("/upstreams/0/targets")));
    assert.equal(r.errors.length, 9);
  });
});

describe("YAML", () => {
  const load = (text: string) => loadConfigText(text, { file: "t.yaml", env: {} });

  test("a syntax error stops at the parser with its line and column", () => {
    const r = load("version: 1\nlisteners:\n  - name: a\n    port: [1, 2\nroutes: []\n");
    assert.ok(!r.ok);
    assert.ok(r.errors.length >= 1);
    assert.deepEqual([r.errors[0].line, r.errors[0].column], [5, 1]);
    assert.doesNotMatch(r.errors[0].message, /at line|\n/, "the code frame is not repeated in the message");
  });

  test("several documents in one file are refused", () => {
    const r = load("version: 1\n---\nversion: 1\n");
    assert.ok(!r.ok);
    assert.match(r.errors[0].message, /multiple documents/);
  });

  test("YAML 1.2 core schema: yes is a string, and custom tags are reported", () => {
    const r = load(
      "version: 1\nlisteners: [{ name: a, port: 1, http2: yes }]\nupstreams: []\nroutes: []\nx: !env HOME\n",
    );
    assert.ok(!r.ok);
    const messages = r.errors.map((e) => `${e.line}:${e.column} ${e.message}`);
    assert.ok(
      messages.some((m) => /^2:40 expected true or false; got the string "yes"/.test(m)),
      messages.join("\n"),
    );
    assert.ok(
      messages.some((m) => /^5:4 Unresolved tag: !env \(custom YAML tags are not supported\)$/.test(m)),
      messages.join("\n"),
    );
  });

  test("an empty file says so", () => {
    const r = load("# nothing here\n");
    assert.ok(!r.ok);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0].message, /^the file is empty/);
  });

  test("a missing file is one issue, not an exception", async () => {
    const r = await loadConfigFile("/nonexistent/portcullis.yaml", {});
    assert.ok(!r.ok);
    assert.deepEqual(r.errors, [
      {
        file: "/nonexistent/portcullis.yaml",
        path: "",
        line: 1,
        column: 1,
        message: "cannot read the config file: no such file",
      },
    ]);
  });

  test("alias bombs are stopped", () => {
    const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    const r = load(`${lines.join("\n")}\n`);
    assert.ok(!r.ok);
    assert.match(r.errors[0].message, /alias/i);
  });
});

describe("locate", () => {
  const text = `version: 1
listeners:
  - name: a
    port: 1
    tls:
      certificates:
        - cert: c.pem
          key: k.pem
upstreams: [{ name: u, targets: [{ url: "http://x:1" }] }]
routes: []
`;
  const r = loadConfigText(text, { file: "t.yaml", env: {} });

  test("maps pointers to the value, or to the key of a nested section", () => {
    assert.ok(!r.ok); // the certificate files do not exist; the document still parses
    const loaded = loadConfigText(text.replace(/c\.pem|k\.pem/g, path.join(examples, "certs/www.pem")), {
      file: "t.yaml",
      env: {},
    });
    assert.ok(loaded.ok, loaded.ok ? "" : formatIssues(loaded.errors));
    const at = (p: string, where?: "key") => {
      const { line, column } = locate(loaded.source, p, where);
      return `${line}:${column}`;
    };
    assert.equal(at(""), "1:1");
    assert.equal(at("/listeners/0/port"), "4:11");
    assert.equal(at("/listeners/0/port", "key"), "4:5");
    assert.equal(at("/listeners/0/tls"), "5:5", "a nested map is reported at its key");
    assert.equal(at("/listeners/0"), "3:5", "a list item at its first key");
    assert.equal(at("/upstreams/0/targets/0/url"), "9:41");
    assert.equal(at("/listeners/0/tls/certificates/0/nothing/deeper"), "7:11", "nearest existing ancestor");
    assert.equal(at("/listeners/7"), "2:1");
  });
});

describe("formatIssues and ConfigError", () => {
  const issues = [
    { file: "gw.yaml", path: "/routes/3/match/path", line: 12, column: 13, message: "must not be empty" },
    { file: "gw.yaml", path: "", line: 1, column: 1, message: "the file is empty" },
  ];

  test("one compiler-style line per issue", () => {
    assert.equal(
      formatIssues(issues),
      "gw.yaml:12:13  /routes/3/match/path  must not be empty\ngw.yaml:1:1  /  the file is empty",
    );
  });

  test("ConfigError carries the issues and prints them", () => {
    const err = new ConfigError(issues);
    assert.equal(err.issues, issues);
    assert.match(err.message, /^invalid configuration \(2 issues\):\ngw\.yaml:12:13/);
  });
});

test("a generated 5,000-route config loads and validates (time printed, not asserted)", (t) => {
  const routes: string[] = [];
  for (let i = 0; i < 5000; i++) {
    routes.push(`  - name: route-${i}
    match:
      hosts: [svc${i % 50}.example.com]
      path: /api/v1/resource-${i}/:id
      pathType: template
      methods: [GET, POST]
      headers:
        x-tenant: { exact: tenant-${i % 7} }
    upstream: up-${i % 20}
    timeouts: { responseHeadersMs: 5000 }
    policies:
      headers:
        request:
          set: { x-route: "route-${i}" }`);
  }
  const upstreams = Array.from(
    { length: 20 },
    (_, i) =>
      `  - name: up-${i}\n    targets: [{ url: "http://10.0.${i}.1:8080" }, { url: "\${UP_${i}:-http://10.0.${i}.2:8080}" }]`,
  );
  const text = `version: 1\nlisteners: [{ name: main, port: 0 }]\nupstreams:\n${upstreams.join("\n")}\nroutes:\n${routes.join("\n")}\n`;
  const started = performance.now();
  const r = loadConfigText(text, { file: "big.yaml", env: {} });
  const ms = performance.now() - started;
  assert.ok(r.ok, r.ok ? "" : formatIssues(r.errors.slice(0, 5)));
  assert.equal(r.config.routes.length, 5000);
  t.diagnostic(
    `5,000 routes, ${(text.length / 1024).toFixed(0)} KiB: loaded and validated in ${ms.toFixed(0)} ms`,
  );
});
