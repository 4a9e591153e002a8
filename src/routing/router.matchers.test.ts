import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { req, routerOf, winner } from "./test-helpers.ts";

describe("header matchers", () => {
  const r = routerOf(
    { name: "exact", match: { path: "/e", headers: { "X-Version": "2" } } },
    { name: "exactObj", match: { path: "/o", headers: { "x-version": { exact: "2" } } } },
    { name: "regex", match: { path: "/r", headers: { accept: { regex: "application/(json|xml)" } } } },
    { name: "present", match: { path: "/p", headers: { authorization: { present: true } } } },
    { name: "absent", match: { path: "/a", headers: { cookie: { present: false } } } },
    { name: "both", match: { path: "/b", headers: { "x-a": "1", "x-b": { regex: "\\d+" } } } },
    { name: "proto", match: { path: "/c", headers: { constructor: { present: false } } } },
  );

  test("a string and {exact} compare the whole value, names case-insensitively", () => {
    assert.equal(winner(r, req("/e", { headers: { "x-version": "2" } })), "exact");
    assert.equal(winner(r, req("/e", { headers: { "x-version": "20" } })), "404");
    assert.equal(winner(r, req("/e")), "404");
    assert.equal(winner(r, req("/o", { headers: { "x-version": "2" } })), "exactObj");
    assert.equal(winner(r, req("/o", { headers: { "x-version": "2 " } })), "404");
  });

  test("{regex} is anchored", () => {
    assert.equal(winner(r, req("/r", { headers: { accept: "application/json" } })), "regex");
    assert.equal(winner(r, req("/r", { headers: { accept: "application/json; q=1" } })), "404");
    assert.equal(winner(r, req("/r", { headers: { accept: "text/application/xml" } })), "404");
  });

  test("{present}", () => {
    assert.equal(winner(r, req("/p", { headers: { authorization: "" } })), "present");
    assert.equal(winner(r, req("/p")), "404");
    assert.equal(winner(r, req("/p", { headers: { authorization: undefined } })), "404");
    assert.equal(winner(r, req("/a")), "absent");
    assert.equal(winner(r, req("/a", { headers: { cookie: "a=b" } })), "404");
    assert.equal(winner(r, req("/a", { headers: { cookie: [] } })), "absent");
  });

  test("inherited object members do not count as headers", () => {
    assert.equal(winner(r, req("/c")), "proto");
  });

  test("any value of a repeated header may match", () => {
    assert.equal(winner(r, req("/e", { headers: { "x-version": ["1", "2"] } })), "exact");
    assert.equal(winner(r, req("/e", { headers: { "x-version": ["1", "3"] } })), "404");
    assert.equal(winner(r, req("/r", { headers: { accept: ["text/html", "application/xml"] } })), "regex");
  });

  test("every matcher must hold", () => {
    assert.equal(winner(r, req("/b", { headers: { "x-a": "1", "x-b": "42" } })), "both");
    assert.equal(winner(r, req("/b", { headers: { "x-a": "1", "x-b": "4x" } })), "404");
    assert.equal(winner(r, req("/b", { headers: { "x-b": "42" } })), "404");
  });
});

describe("query matchers", () => {
  const r = routerOf(
    { name: "exact", match: { path: "/e", query: { v: "2" } } },
    { name: "regex", match: { path: "/r", query: { id: { regex: "[0-9]+" } } } },
    { name: "present", match: { path: "/p", query: { debug: { present: true } } } },
    { name: "absent", match: { path: "/a", query: { debug: { present: false } } } },
    { name: "fallback", match: { path: "/" }, priority: -1 },
  );

  test("values are decoded and compared exactly", () => {
    assert.equal(winner(r, req("/e", { query: "v=2" })), "exact");
    assert.equal(winner(r, req("/e", { query: "a=1&v=%32" })), "exact");
    assert.equal(winner(r, req("/e", { query: "v=22" })), "fallback");
    assert.equal(winner(r, req("/e", { query: "" })), "fallback");
  });

  test("any value of a repeated key may match", () => {
    assert.equal(winner(r, req("/e", { query: "v=1&v=2" })), "exact");
    assert.equal(winner(r, req("/r", { query: "id=x&id=12" })), "regex");
    assert.equal(winner(r, req("/r", { query: "id=12x" })), "fallback");
  });

  test("{present} includes keys without a value", () => {
    assert.equal(winner(r, req("/p", { query: "debug" })), "present");
    assert.equal(winner(r, req("/p", { query: "debug=" })), "present");
    assert.equal(winner(r, req("/p", { query: "nodebug=1" })), "fallback");
    assert.equal(winner(r, req("/a", { query: "x=1" })), "absent");
    assert.equal(winner(r, req("/a", { query: "debug=0" })), "fallback");
  });

  test("keys are case-sensitive", () => {
    assert.equal(winner(r, req("/e", { query: "V=2" })), "fallback");
  });
});
