import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { type ConfigIssue, formatIssues, loadConfigText } from "./load.ts";
import { closest } from "./validate.ts";

const BASE = `version: 1
listeners:
  - name: web
    port: 8080
upstreams:
  - name: api
    targets: [{ url: "http://127.0.0.1:9000" }]
routes:
  - name: r
    match: { path: / }
    upstream: api
`;

function issues(text: string, file = "t.yaml"): ConfigIssue[] {
  const r = loadConfigText(text, { file, env: {} });
  assert.ok(!r.ok, "expected the config to be rejected");
  return r.errors;
}

/** `line:col pointer message` for each issue, the shape the assertions compare. */
const brief = (list: ConfigIssue[]) => list.map((i) => `${i.line}:${i.column} ${i.path} ${i.message}`);

test("the base config used below is valid", () => {
  const r = loadConfigText(BASE, { file: "t.yaml", env: {} });
  assert.ok(r.ok, r.ok ? "" : formatIssues(r.errors));
});

describe("schema errors in words", () => {
  test("an unknown key is reported at the key, with the nearest known key", () => {
    assert.deepEqual(brief(issues(BASE.replace("    port: 8080", "    port: 8080\n    adress: 0.0.0.0"))), [
      '5:5 /listeners/0/adress unknown key "adress"; did you mean "address"?',
    ]);
  });

  test("a key written one level too high says where it belongs", () => {
    const text = BASE.replace("    upstream: api", "    upstream: api\n    methods: [GET]");
    assert.deepEqual(brief(issues(text)), [
      '12:5 /routes/0/methods unknown key "methods"; "methods" belongs inside "match"',
    ]);
  });

  test("an unknown key with no near match lists the keys that are allowed", () => {
    const [issue] = issues(`${BASE}log: { colour: true }\n`);
    assert.equal(issue.message, 'unknown key "colour" (expected one of: level, accessLog, format)');
    assert.deepEqual([issue.line, issue.column], [12, 8]);
  });

  test("merge keys are explained", () => {
    const [issue] = issues(`${BASE}log:\n  <<: { level: info }\n`);
    assert.match(issue.message, /^unknown key "<<" \(YAML merge keys are not supported/);
  });

  test("a missing key is reported where its map starts", () => {
    assert.deepEqual(brief(issues(BASE.replace("    upstream: api\n", ""))), [
      '9:5 /routes/0 missing required key "upstream"',
    ]);
    assert.deepEqual(brief(issues(BASE.replace("routes:", "rotes:"))), [
      '1:1  missing required key "routes"',
      '8:1 /rotes unknown key "rotes"; did you mean "routes"?',
    ]);
  });

  test("wrong types name the expected type and what was given", () => {
    assert.deepEqual(brief(issues(BASE.replace("port: 8080", 'port: "8080"'))), [
      '4:11 /listeners/0/port expected a whole number; got the string "8080" (remove the quotes)',
    ]);
    assert.deepEqual(brief(issues(BASE.replace("port: 8080", "port:"))), [
      "4:5 /listeners/0/port expected a whole number; got nothing (an empty value)",
    ]);
    assert.deepEqual(brief(issues(BASE.replace("    port: 8080", "    port: 8080\n    http2: on"))), [
      '5:12 /listeners/0/http2 expected true or false; got the string "on" (write true or false: YAML 1.2 reads yes, no, on and off as strings)',
    ]);
    assert.deepEqual(brief(issues("- version: 1\n")), ["1:1  expected a map (key: value pairs); got a list"]);
  });

  test("numbers out of range, constants and empty lists", () => {
    assert.deepEqual(
      brief(issues(BASE.replace("version: 1", "version: 2").replace("port: 8080", "port: -1"))),
      [
        "1:10 /version must be 1; got the number 2",
        "4:11 /listeners/0/port must be at least 0; got the number -1",
      ],
    );
    const [issue] = issues(BASE.replace(/listeners:\n.*\n.*\n/, "listeners: []\n"));
    assert.equal(`${issue.path} ${issue.message}`, "/listeners must list at least one item");
  });

  test("a value from a fixed list suggests the nearest choice", () => {
    assert.deepEqual(brief(issues(`${BASE}log: { level: warning }\n`)), [
      '12:15 /log/level must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"; got the string "warning"; did you mean "warn"?',
    ]);
  });

  test("patterns are described in words", () => {
    const text = BASE.replace("name: web", "name: my web")
      .replace("http://127.0.0.1:9000", "127.0.0.1:9000")
      .replace("match: { path: / }", "match: { path: /, hosts: [api..example.com], methods: [get] }");
    assert.deepEqual(brief(issues(text)), [
      "3:11 /listeners/0/name must be a name of 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit; got the string \"my web\"",
      '7:22 /upstreams/0/targets/0/url must be "http://host:port" or "https://host:port", without a path; got the string "127.0.0.1:9000"',
      '10:31 /routes/0/match/hosts/0 must be a host name such as "api.example.com", a wildcard such as "*.example.com", or "*"; got the string "api..example.com"',
      '10:60 /routes/0/match/methods/0 must be an HTTP method in capitals, such as "GET"; got the string "get"',
    ]);
  });

  test("a repeated list item points at the repetition", () => {
    const text = BASE.replace("match: { path: / }", "match: { path: /, methods: [GET, PUT, GET] }");
    assert.deepEqual(brief(issues(text)), [
      '10:43 /routes/0/match/methods/2 "GET" is listed twice (also at /routes/0/match/methods/0)',
    ]);
  });

  describe("a value that may take several forms gives one message", () => {
    const withHeader = (value: string) =>
      issues(
        BASE.replace("match: { path: / }", `match:\n      path: /\n      headers:\n        x-a: ${value}`),
      );

    test("none of the forms fits: what is accepted, in the schema's words", () => {
      assert.deepEqual(brief(withHeader("3")), [
        "13:14 /routes/0/match/headers/x-a expected an exact string, or one of {exact}, {regex} or {present: true|false}; got the number 3",
      ]);
    });

    test("the map form fits: the map's own mistakes", () => {
      assert.deepEqual(brief(withHeader("{ exact: 1 }")), [
        "13:23 /routes/0/match/headers/x-a/exact expected a string; got the number 1",
      ]);
      assert.deepEqual(brief(withHeader("{ exact: a, regex: b }")), [
        "13:9 /routes/0/match/headers/x-a must have exactly one of the keys exact, regex or present",
      ]);
      assert.deepEqual(brief(withHeader("{ prsent: true }")), [
        '13:16 /routes/0/match/headers/x-a/prsent unknown key "prsent"; did you mean "present"?',
      ]);
    });
  });
});

describe("whole-config checks", () => {
  test("duplicate names point at the second use and name the first", () => {
    const text = `version: 1
listeners:
  - { name: web, port: 1 }
  - { name: web, port: 2 }
upstreams:
  - { name: api, targets: [{ url: "http://a:1" }] }
  - { name: api, targets: [{ url: "http://b:1" }] }
routes:
  - { name: r, match: { path: /a }, upstream: api }
  - { name: r, match: { path: /b }, upstream: api }
`;
    assert.deepEqual(brief(issues(text)), [
      '4:13 /listeners/1/name duplicate listener name "web" (first used at line 3)',
      '7:13 /upstreams/1/name duplicate upstream name "api" (first used at line 6)',
      '10:13 /routes/1/name duplicate route name "r" (first used at line 9)',
    ]);
  });

  test("a route's upstream must exist", () => {
    assert.deepEqual(brief(issues(BASE.replace("upstream: api", "upstream: apj"))), [
      '11:15 /routes/0/upstream no upstream named "apj"; did you mean "api"?',
    ]);
    assert.deepEqual(brief(issues(BASE.replace("upstream: api", "upstream: payments"))), [
      '11:15 /routes/0/upstream no upstream named "payments"',
    ]);
  });

  describe("two sockets on the same address and port", () => {
    const two = (a: string, b: string, admin = "") =>
      `${BASE.replace("listeners:\n  - name: web\n    port: 8080\n", `listeners:\n  - { name: a, ${a} }\n  - { name: b, ${b} }\n`)}${admin}`;
    const load = (text: string) => loadConfigText(text, { file: "t.yaml", env: {} });
    const cases: [string, string, boolean][] = [
      ["port: 8080", "port: 8080", true],
      ["port: 8080", "address: 127.0.0.1, port: 8080", true],
      ["address: 0.0.0.0, port: 8080", "address: 10.1.2.3, port: 8080", true],
      ["address: '::', port: 8080", "address: 10.1.2.3, port: 8080", true],
      ["address: '::1', port: 8080", "address: '0:0:0:0:0:0:0:1', port: 8080", true],
      ["port: 8080", "port: 8088", false],
      ["address: 127.0.0.1, port: 8080", "address: 127.0.0.2, port: 8080", false],
      ["address: 0.0.0.0, port: 8080", "address: '::1', port: 8080", false],
      ["port: 0", "port: 0", false],
    ];
    for (const [a, b, clash] of cases) {
      test(`{ ${a} } and { ${b} }: ${clash ? "collide" : "fine"}`, () => {
        const r = load(two(a, b));
        if (!clash) return assert.ok(r.ok, r.ok ? "" : formatIssues(r.errors));
        assert.ok(!r.ok);
        assert.equal(r.errors.length, 1);
        assert.equal(r.errors[0].path, "/listeners/1/port");
        assert.match(r.errors[0].message, /^listener "b" on .* collides with listener "a" on .* \(line 3\)$/);
      });
    }

    test("the admin API counts, on its default port when the section is absent", () => {
      const r = load(two("port: 8081", "port: 9000"));
      assert.ok(!r.ok);
      assert.deepEqual(brief(r.errors), [
        '3:22 /listeners/0/port listener "a" on 127.0.0.1:8081 collides with the admin API (default address and port; set admin.port to move it) on 127.0.0.1:8081',
      ]);
      assert.ok(load(two("port: 8081", "port: 9000", "admin: { port: 9001 }\n")).ok);
      const explicit = load(two("port: 8080", "port: 9000", "admin: { port: 9000 }\n"));
      assert.ok(!explicit.ok);
      assert.deepEqual(brief(explicit.errors), [
        '12:16 /admin/port the admin API on 127.0.0.1:9000 collides with listener "b" on 127.0.0.1:9000 (line 4)',
      ]);
    });
  });

  test("trusted proxies must be IP addresses or CIDR blocks", () => {
    const good = ["10.0.0.0/8", "192.168.1.1", "::1", "2001:db8::/32", "0.0.0.0/0", "fd00::/8"];
    assert.ok(loadConfigText(`${BASE}trustedProxies: ${JSON.stringify(good)}\n`, { file: "t", env: {} }).ok);
    const bad = [
      "10.0.0.0/33",
      "loopback",
      "300.1.1.1",
      "10.0.0.0/",
      "::1/129",
      "10.0.0.1/8/8",
      "10.0.0.0/-1",
    ];
    const found = issues(`${BASE}trustedProxies: ${JSON.stringify(bad)}\n`);
    assert.deepEqual(
      found.map((i) => i.path),
      bad.map((_, i) => `/trustedProxies/${i}`),
    );
    assert.match(found[0].message, /^"10\.0\.0\.0\/33" is not an IP address or CIDR block/);
  });

  describe("TLS files", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "portcullis-config-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(path.join(dir, "tls"));
    writeFileSync(path.join(dir, "tls", "cert.pem"), "not checked here: the listener reads it");
    writeFileSync(path.join(dir, "tls", "key.pem"), "");
    const file = path.join(dir, "gateway.yaml");
    const withTls = (cert: string, key: string, ca = "tls/cert.pem") =>
      BASE.replace(
        "    port: 8080\n",
        `    port: 8080\n    tls:\n      certificates:\n        - { cert: ${cert}, key: ${key} }\n`,
      ).replace(
        'targets: [{ url: "http://127.0.0.1:9000" }]',
        `targets: [{ url: "https://127.0.0.1:9000" }]\n    tls: { ca: ${ca} }`,
      );

    test("relative paths are resolved against the config file's folder and made absolute", () => {
      const r = loadConfigText(withTls("tls/cert.pem", "./tls/../tls/key.pem"), { file, env: {} });
      assert.ok(r.ok, r.ok ? "" : formatIssues(r.errors));
      const [c] = r.config.listeners[0].tls?.certificates ?? [];
      assert.equal(c.cert, path.join(dir, "tls", "cert.pem"));
      assert.equal(c.key, path.join(dir, "tls", "key.pem"));
      assert.equal(r.config.upstreams[0].tls?.ca, path.join(dir, "tls", "cert.pem"));
    });

    test("missing files and folders are reported, each at its own value", () => {
      const abs = path.join(dir, "tls", "nope.pem");
      const r = loadConfigText(withTls("tls/missing.pem", abs, "tls"), { file, env: {} });
      assert.ok(!r.ok);
      assert.deepEqual(brief(r.errors), [
        `7:19 /listeners/0/tls/certificates/0/cert certificate file "tls/missing.pem" (${path.join(dir, "tls/missing.pem")}) does not exist`,
        `7:41 /listeners/0/tls/certificates/0/key private key file "${abs}" does not exist`,
        `11:16 /upstreams/0/tls/ca CA bundle file "tls" (${path.join(dir, "tls")}) is not a regular file`,
      ]);
    });
  });

  test("schema errors, whole-config findings and unset variables come out together, in line order", () => {
    const text = `version: 1
listeners:
  - { name: web, port: 99999 }
upstreams:
  - { name: api, targets: [{ url: "\${API}" }] }
routes:
  - { name: r, match: { path: / }, upstream: nope }
trustedProxies: [bogus]
`;
    assert.deepEqual(
      issues(text).map((i) => `${i.line} ${i.path}`),
      ["3 /listeners/0/port", "5 /upstreams/0/targets/0/url", "7 /routes/0/upstream", "8 /trustedProxies/0"],
    );
  });
});

test("closest: edit distance up to 2, transpositions count once", () => {
  assert.equal(closest("upsteram", ["upstream", "upstreams"]), "upstream");
  assert.equal(closest("adress", ["address", "port"]), "address");
  assert.equal(closest("Path", ["path"]), "path");
  assert.equal(closest("colour", ["level", "format"]), undefined);
  assert.equal(closest("ab", ["xy"]), undefined, "two edits to a two-letter word is no suggestion");
});
