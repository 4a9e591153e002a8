import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PolicyHooks } from "../../pipeline/types.ts";
import { assertRefused, fakeRequest, fakeResponse, policyContext } from "../testing.ts";
import { headersPolicy } from "./index.ts";
import type { HeadersOptions } from "./schema.ts";

const PATH = "/routes/0/policies/headers";
const create = (options: HeadersOptions): PolicyHooks => headersPolicy.create(options, policyContext(PATH));

function refused(options: unknown, path: string, message: RegExp): void {
  assertRefused(() => headersPolicy.create(options as HeadersOptions, policyContext(PATH)), path, message);
}

describe("headers policy: definition", () => {
  test("is a transform policy named after its folder", () => {
    assert.equal(headersPolicy.name, "headers");
    assert.equal(headersPolicy.phase, "transform");
  });

  test("returns no hooks for a direction with no ops, so the chain skips it", () => {
    assert.deepEqual(Object.keys(create({})), []);
    assert.deepEqual(Object.keys(create({ request: {}, response: { set: {} } })), []);
    assert.deepEqual(Object.keys(create({ request: { remove: ["x-a"] } })), ["onRequest"]);
    assert.deepEqual(Object.keys(create({ response: { remove: ["x-a"] } })), ["onResponse"]);
  });
});

describe("headers policy: request ops", () => {
  test("change upstreamHeaders only, matching names without regard to case", () => {
    const hooks = create({
      request: { remove: ["X-Debug"], set: { "X-Tenant": "acme" }, add: { Via: "portcullis" } },
    });
    const req = fakeRequest({ headers: { "x-debug": "1", via: "1.1 cdn", accept: "*/*" } });
    assert.equal(hooks.onRequest?.(req), undefined);
    assert.deepEqual(req.upstreamHeaders, {
      "x-tenant": "acme",
      via: ["1.1 cdn", "portcullis"],
      accept: "*/*",
    });
    assert.deepEqual(req.headers, { "x-debug": "1", via: "1.1 cdn", accept: "*/*" });
  });

  test("run in the order remove, rename, set, add", () => {
    const hooks = create({
      request: {
        add: { "x-c": "added" },
        set: { "x-c": "set" },
        rename: { "x-b": "x-c" },
        remove: ["x-a"],
      },
    });
    const req = fakeRequest({ headers: { "x-a": "1", "x-b": "2", "x-c": "old" } });
    hooks.onRequest?.(req);
    // rename replaced x-c with x-b's value, set replaced that, add appended after set.
    assert.deepEqual(req.upstreamHeaders, { "x-c": ["set", "added"] });
  });

  test("remove happens before add, so remove + add replaces", () => {
    const hooks = create({ request: { remove: ["x-a"], add: { "x-a": "new" } } });
    const req = fakeRequest({ headers: { "x-a": ["1", "2"] } });
    hooks.onRequest?.(req);
    assert.deepEqual(req.upstreamHeaders, { "x-a": "new" });
  });

  test("rename moves every value and replaces the target's values", () => {
    const hooks = create({ request: { rename: { "X-User": "X-Consumer" } } });
    const req = fakeRequest({ headers: { "x-user": ["a", "b"], "x-consumer": "spoofed" } });
    hooks.onRequest?.(req);
    assert.deepEqual(req.upstreamHeaders, { "x-consumer": ["a", "b"] });
  });

  test("rename of an absent header leaves the target alone", () => {
    const hooks = create({ request: { rename: { "x-user": "x-consumer" } } });
    const req = fakeRequest({ headers: { "x-consumer": "kept" } });
    hooks.onRequest?.(req);
    assert.deepEqual(req.upstreamHeaders, { "x-consumer": "kept" });
  });

  test("add appends to a string or an array without mutating the client's array", () => {
    const hooks = create({ request: { add: { "x-one": "b", "x-many": "c" } } });
    const clientArray = ["a", "b"];
    const req = fakeRequest({ headers: { "x-one": "a", "x-many": clientArray } });
    hooks.onRequest?.(req);
    assert.deepEqual(req.upstreamHeaders["x-one"], ["a", "b"]);
    assert.deepEqual(req.upstreamHeaders["x-many"], ["a", "b", "c"]);
    assert.deepEqual(clientArray, ["a", "b"]);
  });

  test("set replaces all values; set and add of one header give both values", () => {
    const hooks = create({ request: { set: { "x-a": "one" }, add: { "X-A": "two" } } });
    const req = fakeRequest({ headers: { "x-a": ["x", "y"] } });
    hooks.onRequest?.(req);
    assert.deepEqual(req.upstreamHeaders["x-a"], ["one", "two"]);
  });

  test("may set host on the request", () => {
    const hooks = create({ request: { set: { Host: "internal.example" } } });
    const req = fakeRequest({ headers: { host: "api.example.com" } });
    hooks.onRequest?.(req);
    assert.equal(req.upstreamHeaders.host, "internal.example");
  });

  test("the same hooks serve many requests without carrying state", () => {
    const hooks = create({ request: { add: { "x-a": "1" } } });
    for (let i = 0; i < 3; i++) {
      const req = fakeRequest();
      hooks.onRequest?.(req);
      assert.deepEqual(req.upstreamHeaders, { "x-a": "1" });
    }
  });
});

describe("headers policy: response ops", () => {
  test("change the response headers, upstream's and the gateway's own", () => {
    const hooks = create({
      response: {
        remove: ["Server", "X-Powered-By"],
        rename: { "x-upstream-time": "x-backend-time" },
        set: { "Strict-Transport-Security": "max-age=63072000" },
        add: { "Cache-Status": "portcullis; fwd=uri-miss" },
      },
    });
    for (const local of [false, true]) {
      const res = fakeResponse({
        local,
        headers: { server: "nginx", "x-powered-by": "php", "x-upstream-time": "12", "cache-status": "cdn" },
      });
      hooks.onResponse?.(fakeRequest(), res);
      assert.deepEqual(res.headers, {
        "x-backend-time": "12",
        "strict-transport-security": "max-age=63072000",
        "cache-status": ["cdn", "portcullis; fwd=uri-miss"],
      });
    }
  });

  test("may touch x-request-id and x-forwarded-* on the response (only the request's are the gateway's)", () => {
    const hooks = create({ response: { remove: ["x-forwarded-for"], set: { "X-Request-Id": "fixed" } } });
    const res = fakeResponse({ headers: { "x-forwarded-for": "10.0.0.1", "x-request-id": "abc" } });
    hooks.onResponse?.(fakeRequest(), res);
    assert.deepEqual(res.headers, { "x-request-id": "fixed" });
  });
});

describe("headers policy: refused in create", () => {
  const HOP_BY_HOP = [
    "Connection",
    "keep-alive",
    "TE",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
  ];

  for (const direction of ["request", "response"] as const) {
    test(`hop-by-hop headers and content-length on the ${direction}, in every op`, () => {
      for (const name of [...HOP_BY_HOP, "Content-Length"]) {
        const why = name === "Content-Length" ? /frames the body/ : /hop-by-hop/;
        refused({ [direction]: { remove: [name] } }, `${PATH}/${direction}/remove/0`, why);
        refused({ [direction]: { set: { [name]: "x" } } }, `${PATH}/${direction}/set/${name}`, why);
        refused({ [direction]: { add: { [name]: "x" } } }, `${PATH}/${direction}/add/${name}`, why);
        refused({ [direction]: { rename: { [name]: "x-a" } } }, `${PATH}/${direction}/rename/${name}`, why);
        refused({ [direction]: { rename: { "x-a": name } } }, `${PATH}/${direction}/rename/x-a`, why);
      }
    });
  }

  test("host on the response", () => {
    refused({ response: { set: { Host: "x" } } }, `${PATH}/response/set/Host`, /request header/);
    refused({ response: { remove: ["host"] } }, `${PATH}/response/remove/0`, /request header/);
  });

  test("host on the request, except set", () => {
    refused({ request: { remove: ["host"] } }, `${PATH}/request/remove/0`, /only be set/);
    refused({ request: { add: { host: "a" } } }, `${PATH}/request/add/host`, /only be set/);
    refused({ request: { rename: { host: "x-host" } } }, `${PATH}/request/rename/host`, /only be set/);
    refused({ request: { rename: { "x-host": "host" } } }, `${PATH}/request/rename/x-host`, /only be set/);
  });

  test("the gateway's own forwarding and id headers on the request", () => {
    for (const name of [
      "X-Forwarded-For",
      "x-forwarded-proto",
      "x-forwarded-host",
      "Forwarded",
      "X-Request-Id",
    ]) {
      refused({ request: { remove: [name] } }, `${PATH}/request/remove/0`, /set by the gateway/);
      refused(
        { request: { set: { [name]: "1.2.3.4" } } },
        `${PATH}/request/set/${name}`,
        /set by the gateway/,
      );
      refused(
        { request: { add: { [name]: "1.2.3.4" } } },
        `${PATH}/request/add/${name}`,
        /set by the gateway/,
      );
      refused({ request: { rename: { "x-a": name } } }, `${PATH}/request/rename/x-a`, /set by the gateway/);
    }
  });

  test("values with CR, LF, NUL or other control characters", () => {
    for (const value of ["a\r\nx-evil: 1", "a\nb", "a\rb", "a\0b", "a\x7fb", "\u2028"]) {
      refused({ response: { set: { "x-a": value } } }, `${PATH}/response/set/x-a`, /control character/);
      refused({ request: { add: { "x-a": value } } }, `${PATH}/request/add/x-a`, /control character/);
    }
    assert.doesNotThrow(() => create({ request: { set: { "x-a": "tab\there, latin-1 é" } } }));
  });

  test("names that are not tokens, escaped in the JSON pointer", () => {
    refused(
      { request: { set: { "bad name": "x" } } },
      `${PATH}/request/set/bad name`,
      /not a valid header name/,
    );
    refused({ request: { rename: { "x-a": "bad:name" } } }, `${PATH}/request/rename/x-a`, /not a valid/);
    refused(
      { request: { set: { "x~a": "x", "X~A": "y" } } },
      `${PATH}/request/set/X~0A`,
      /appears twice in set/,
    );
  });

  test("the same name twice in one op (names ignore case)", () => {
    refused({ request: { remove: ["x-a", "X-A"] } }, `${PATH}/request/remove/1`, /appears twice in remove/);
    refused({ response: { add: { "x-a": "1", "X-a": "2" } } }, `${PATH}/response/add/X-a`, /twice/);
  });

  test("renames that do nothing or depend on order", () => {
    refused({ request: { rename: { "x-a": "X-A" } } }, `${PATH}/request/rename/x-a`, /to itself/);
    refused(
      { request: { remove: ["x-a"], rename: { "x-a": "x-b" } } },
      `${PATH}/request/rename/x-a`,
      /removed first/,
    );
    refused(
      { request: { rename: { "x-a": "x-c", "x-b": "X-C" } } },
      `${PATH}/request/rename/x-b`,
      /two headers are renamed/,
    );
    refused(
      { request: { rename: { "x-a": "x-b", "x-b": "x-c" } } },
      `${PATH}/request/rename/x-a`,
      /both renamed to and renamed from/,
    );
  });
});
