// docs/errors.md is the public error reference; it must list exactly the registry's codes, with the
// registry's status, flag, retryable and close values, and a section per code (the problem `type` anchor).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ERROR_CODES, type ErrorCode, type ErrorSpec } from "../src/errors/codes.ts";
import { problemBody, problemType } from "../src/errors/problem.ts";

const doc = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");
const codes = Object.keys(ERROR_CODES) as ErrorCode[];

test("the table lists every code with the registry's values, and nothing else", () => {
  const rows = [...doc.matchAll(/^\| ([A-Z_]+) \| (\d+) \| ([A-Z]+) \| (yes|no) \| (yes|no) \|$/gm)];
  const documented = new Map(rows.map((m) => [m[1], m]));
  assert.deepEqual([...documented.keys()].sort(), [...codes].sort());
  for (const code of codes) {
    const spec: ErrorSpec = ERROR_CODES[code];
    const row = documented.get(code)!;
    assert.equal(Number(row[2]), spec.status, `${code} status`);
    assert.equal(row[3], spec.flag, `${code} flag`);
    assert.equal(row[4] === "yes", spec.retryable, `${code} retryable`);
    assert.equal(row[5] === "yes", spec.close === true, `${code} closes`);
  }
});

test("every code has its own section, the anchor its problem type points to", () => {
  const headings = [...doc.matchAll(/^### ([a-z_]+)$/gm)].map((m) => m[1]);
  assert.deepEqual([...headings].sort(), codes.map((c) => c.toLowerCase()).sort());
  for (const code of codes) {
    assert.ok(problemType(code).endsWith(`#${code.toLowerCase()}`));
    assert.match(
      doc,
      new RegExp(`\`${ERROR_CODES[code].status} ${code}\``),
      `${code} section names status and code`,
    );
  }
});

test("problem bodies are RFC 9457 with the code and request id", () => {
  const body = JSON.parse(problemBody("NO_ROUTE", "req-1", "nothing here")) as Record<string, unknown>;
  assert.deepEqual(body, {
    type: problemType("NO_ROUTE"),
    title: ERROR_CODES.NO_ROUTE.title,
    status: 404,
    code: "NO_ROUTE",
    detail: "nothing here",
    requestId: "req-1",
  });
});
