// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${...} text
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expandString } from "./interpolate.ts";
import { loadConfigText } from "./load.ts";

describe("expandString", () => {
  const env = { HOST: "db.internal", PORT: "5432", EMPTY: "" };

  test("substitutes ${NAME}, several times and next to text", () => {
    const x = expandString("http://${HOST}:${PORT}/", env);
    assert.deepEqual(x, { value: "http://db.internal:5432/", unset: [], errors: [], whole: false });
  });

  test("${NAME:-default} uses the default when the variable is unset or empty", () => {
    assert.equal(expandString("${NOPE:-fallback}", env).value, "fallback");
    assert.equal(expandString("${EMPTY:-fallback}", env).value, "fallback");
    assert.equal(expandString("${HOST:-fallback}", env).value, "db.internal");
    assert.equal(expandString("${NOPE:-}", env).value, "");
    assert.equal(expandString("${NOPE:-a:-b}", env).value, "a:-b");
  });

  test("a set but empty variable without default is the empty string", () => {
    assert.deepEqual(expandString("[${EMPTY}]", env), { value: "[]", unset: [], errors: [], whole: false });
  });

  test("$${ is a literal ${ and nothing else is special", () => {
    assert.equal(expandString("$${HOST}", env).value, "${HOST}");
    assert.equal(expandString("cost: $5, $$ and $HOST", env).value, "cost: $5, $$ and $HOST");
    assert.equal(expandString("$$${HOST}", env).value, "$${HOST}");
  });

  test("every unset variable is named", () => {
    const x = expandString("${A}-${HOST}-${B}", env);
    assert.deepEqual(x.unset, ["A", "B"]);
  });

  test("malformed references are errors", () => {
    assert.equal(expandString("${HOST", env).errors.length, 1);
    assert.match(expandString("${}", env).errors[0], /not a variable reference/);
    assert.match(expandString("${1X}", env).errors[0], /not a variable reference/);
    assert.match(expandString("${A-b}", env).errors[0], /not a variable reference/);
    assert.match(expandString("${A:-${B}}", env).errors[0], /cannot contain another/);
  });

  test("whole is true only for exactly one reference", () => {
    assert.equal(expandString("${PORT}", env).whole, true);
    assert.equal(expandString("${PORT:-80}", env).whole, true);
    assert.equal(expandString(" ${PORT}", env).whole, false);
    assert.equal(expandString("${PORT}${PORT}", env).whole, false);
    assert.equal(expandString("$${PORT}", env).whole, false);
  });
});

const base = (listener: string, extra = "") => `version: 1
listeners:
  - name: web
${listener}
upstreams:
  - name: api
    targets: [{ url: "\${API_URL:-http://127.0.0.1:9000}" }]
routes: []
${extra}`;

describe("interpolation in a config", () => {
  test("a whole ${VAR} becomes an integer or boolean where the schema wants one", () => {
    const r = loadConfigText(base("    port: ${PORT}\n    http2: '${H2:-false}'"), {
      file: "c.yaml",
      env: { PORT: "8080" },
    });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    assert.equal(r.config.listeners[0].port, 8080);
    assert.equal(r.config.listeners[0].http2, false);
    assert.equal(r.config.upstreams[0].targets[0].url, "http://127.0.0.1:9000");
  });

  test("a value that does not convert is reported with the variable's text", () => {
    const r = loadConfigText(base("    port: ${PORT}"), { file: "c.yaml", env: { PORT: "eighty" } });
    assert.ok(!r.ok);
    assert.deepEqual(r.errors, [
      {
        file: "c.yaml",
        path: "/listeners/0/port",
        line: 4,
        column: 11,
        message: '${PORT} expands to "eighty", which is not an integer',
      },
    ]);
  });

  test("only a whole reference converts: text around it keeps a string, which the schema rejects", () => {
    const r = loadConfigText(base("    port: 80${PORT}"), { file: "c.yaml", env: { PORT: "80" } });
    assert.ok(!r.ok);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].path, "/listeners/0/port");
    assert.match(r.errors[0].message, /expected a whole number; got the string "8080" \(remove the quotes\)/);
  });

  test("where the schema wants a string, a numeric value stays a string", () => {
    const r = loadConfigText(base("    port: 1\n    address: ${ADDR}"), {
      file: "c.yaml",
      env: { ADDR: "8080" },
    });
    assert.ok(r.ok);
    assert.equal(r.config.listeners[0].address, "8080");
  });

  test("a value cannot inject YAML structure", () => {
    const evil = "x\nadmin:\n  port: 1\n# ";
    const r = loadConfigText(base("    port: 1\n    address: ${ADDR}"), {
      file: "c.yaml",
      env: { ADDR: evil },
    });
    assert.ok(r.ok);
    assert.equal(r.config.listeners[0].address, evil);
    assert.equal(r.config.admin, undefined);
  });

  test("keys are not interpolated", () => {
    const r = loadConfigText(base("    port: 1", "log:\n  ${KEY}: info"), {
      file: "c.yaml",
      env: { KEY: "level" },
    });
    assert.ok(!r.ok);
    assert.match(r.errors[0].message, /unknown key "\$\{KEY\}"/);
  });

  test("every unset variable is reported at its own node", () => {
    const text = base("    port: ${PORT}\n    address: ${A}-${B}", "trustedProxies: ['${PROXY}']");
    const r = loadConfigText(text, { file: "c.yaml", env: {} });
    assert.ok(!r.ok);
    assert.deepEqual(
      r.errors.map((e) => [e.line, e.column, e.path, e.message.split(" (")[0]]),
      [
        [4, 11, "/listeners/0/port", "environment variable PORT is not set"],
        [5, 14, "/listeners/0/address", "environment variable A is not set"],
        [5, 14, "/listeners/0/address", "environment variable B is not set"],
        [10, 18, "/trustedProxies/0", "environment variable PROXY is not set"],
      ],
    );
  });

  test("an anchored value is expanded once and shared by its aliases", () => {
    const r = loadConfigText(
      `version: 1
listeners: [{ name: a, port: 1 }]
upstreams:
  - { name: one, targets: [{ url: &u "\${URL}" }] }
  - { name: two, targets: [{ url: *u }] }
routes: []
`,
      { file: "c.yaml", env: { URL: "http://10.0.0.1:80" } },
    );
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    assert.deepEqual(
      r.config.upstreams.map((u) => u.targets[0].url),
      ["http://10.0.0.1:80", "http://10.0.0.1:80"],
    );
  });
});
