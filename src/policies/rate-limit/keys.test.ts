import assert from "node:assert/strict";
import { test } from "node:test";
import type { Identity } from "../../pipeline/types.ts";
import { fakeRequest } from "../testing.ts";
import { compileKey } from "./keys.ts";

const consumer = { name: "acme", id: "c-1", groups: [], settings: {} };
const identity = (claims: Record<string, unknown>, withConsumer = true): Identity => ({
  method: "jwt",
  subject: "s",
  consumer: withConsumer ? consumer : undefined,
  claims,
  scopes: new Set(),
  groups: new Set(),
});

test("parts combine, in order", () => {
  const key = compileKey(["consumer", "route", { header: "X-Tenant" }, { claim: "org" }]);
  const req = fakeRequest({
    routeName: "orders",
    headers: { "x-tenant": "t1" },
    identity: identity({ org: "o9" }),
  });
  assert.equal(key(req), "c:c-1|orders|t1|o9");
});

test("an anonymous request on a consumer key counts by address, apart from any consumer", () => {
  const key = compileKey(["consumer"]);
  assert.equal(key(fakeRequest({ clientIp: "203.0.113.7" })), "ip:203.0.113.7");
  assert.notEqual(key(fakeRequest({ clientIp: "c-1" })), key(fakeRequest({ identity: identity({}) })));
});

test("client input cannot reach into another partition or make a key huge", () => {
  const key = compileKey([{ header: "x-tenant" }, "clientIp"]);
  const a = key(fakeRequest({ headers: { "x-tenant": "t1|10.0.0.1" }, clientIp: "x" }));
  const b = key(fakeRequest({ headers: { "x-tenant": "t1" }, clientIp: "10.0.0.1|x" }));
  assert.notEqual(a, b);
  assert.ok(!key(fakeRequest({ headers: { "x-tenant": "}{" } })).includes("}"));
  assert.ok(key(fakeRequest({ headers: { "x-tenant": "x".repeat(10_000) } })).length < 200);
  assert.equal(key(fakeRequest({})), "-|127.0.0.1");
  assert.equal(key(fakeRequest({ clientIp: "::1" })), "-|%3A%3A1");
});
