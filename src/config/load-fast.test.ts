// The fast path (js-yaml, used only for valid files without ${...} or aliases) must give exactly the
// config the full path (yaml Document) gives, and must hand every invalid file to the full path.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseDocument } from "yaml";
import { loadConfigText } from "./load.ts";

const file = "/virtual/gateway.yaml";

function viaDocument(text: string): unknown {
  return parseDocument(text, { version: "1.2", schema: "core", merge: false }).toJS();
}

const tricky = `version: 1
listeners:
  - { name: a, port: 8080, address: "127.0.0.1", http2: false }
upstreams:
  - name: u
    targets: [{ url: "http://127.0.0.1:9", weight: 0x10 }]
    connections: 0o17
    keepAliveTimeoutMs: 1e3
routes:
  - name: r1
    match: { path: "/a b/\\u00e9", pathType: exact, methods: [GET], headers: { x-yes: yes, x-null: "null" } }
    upstream: u
    priority: -3
    preserveHost: true
  - name: r2
    match:
      path: >-
        /folded
      query: { on: "True", n: "0012" }
    upstream: u
log: { level: info, accessLog: false }
`;

test("the fast path gives the same config as the positional parser", () => {
  const quickstart = readFileSync(new URL("../../examples/quickstart.yaml", import.meta.url), "utf8");
  for (const text of [tricky, quickstart]) {
    const fast = loadConfigText(text, { file, env: {} });
    assert.ok(fast.ok, JSON.stringify(!fast.ok && fast.errors));
    assert.deepEqual(fast.config, viaDocument(text));
  }
});

test("positions are still available after a fast load (for compile errors)", () => {
  const loaded = loadConfigText(tricky, { file, env: {} });
  assert.ok(loaded.ok);
  const node = loaded.source.doc.getIn(["routes", 1, "name"], true) as { range: [number] };
  assert.equal(loaded.source.lineCounter.linePos(node.range[0]).line, 15);
});

test("invalid files, duplicate keys and interpolation still report every issue with positions", () => {
  const dup = tricky.replace("    priority: -3\n", "    priority: -3\n    priority: 4\n");
  const bad = loadConfigText(dup.replace("level: info", "levl: info"), { file, env: {} });
  assert.ok(!bad.ok);
  // Line 14: the second `priority`; line 22: the `levl` typo.
  assert.deepEqual(
    bad.errors.map((e) => [e.line, e.path]),
    [
      [14, "/routes/0/priority"],
      [22, "/log/levl"],
    ],
  );
  const env = loadConfigText(tricky.replace('"127.0.0.1"', '"$' + '{ADDR}"'), {
    file,
    env: { ADDR: "127.0.0.2" },
  });
  assert.ok(env.ok);
  assert.equal(env.config.listeners[0].address, "127.0.0.2");
});
