// Summarizes a cache-tests results file the way cache-tests.fyi scores it: per test kind (required,
// optimal, check), with the suite's own result rules (dependencies honoured), then lists every test that
// failed with the suite's explanation. Run from the suite's package folder (scripts/cache-tests.sh does).
import { readFileSync } from "node:fs";
import * as display from "./lib/display.mjs";
import suites from "./tests/index.mjs";
import surrogate from "./tests/surrogate-control.mjs";

suites.push(surrogate);
const results = JSON.parse(readFileSync(process.argv[2], "utf8"));
const counts = new Map();
const lines = [];
for (const suite of suites) {
  for (const test of suite.tests) {
    const [, , symbol] = display.determineTestResult(suites, test.id, results);
    const kind = test.kind ?? "required";
    const k = `${kind} ${symbol}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    if (symbol !== "✅" && symbol !== "Y" && symbol !== "N" && symbol !== "-") {
      const detail = Array.isArray(results[test.id]) ? results[test.id][1] : "";
      lines.push(`${symbol} [${kind}] ${suite.id}/${test.id}: ${test.name} — ${detail}`);
    }
  }
}
console.log(
  [...counts]
    .sort()
    .map(([k, n]) => `${k}: ${n}`)
    .join("\n"),
);
console.log(`\n${lines.join("\n")}`);
