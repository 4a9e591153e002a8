import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { render } from "./nginx.ts";

test("every placeholder of the shipped templates is filled", () => {
  for (const name of ["backend", "proxy"]) {
    const template = readFileSync(new URL(`../nginx/${name}.conf.template`, import.meta.url), "utf8");
    const out = render(template, { DIR: "/tmp/x", USER: "", PORT: "1", UPSTREAM_PORT: "2" });
    assert.doesNotMatch(out, /\{\{/);
    assert.match(out, /listen 127\.0\.0\.1:1 /);
  }
});

test("a placeholder without a value is an error, not a blank", () => {
  assert.throws(() => render("listen {{PORT}};", {}), /no value for \{\{PORT\}\}/);
});
