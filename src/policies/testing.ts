// Plain-object stand-ins for RequestView/ResponseView, so policy tests drive hooks without a server.
// Header names are lower-cased here because the server hands policies lower-case bags.
import assert from "node:assert/strict";
import {
  type Closable,
  type ConsumerDirectory,
  type HeaderBag,
  PolicyConfigError,
  type PolicyContext,
  type PolicyServices,
  type RequestView,
  type ResponseView,
} from "../pipeline/types.ts";

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export type FakeRequest = Writable<RequestView>;
export type FakeResponse = Writable<ResponseView>;

function lowerKeys(bag: Readonly<HeaderBag>): HeaderBag {
  const out: HeaderBag = {};
  for (const [name, value] of Object.entries(bag)) out[name.toLowerCase()] = value;
  return out;
}

/** A GET / request; `upstreamHeaders` defaults to a shallow copy of `headers`, as the server makes it. */
export function fakeRequest(partial: Partial<FakeRequest> = {}): FakeRequest {
  const headers = lowerKeys(partial.headers ?? {});
  return {
    id: "req-test-1",
    method: "GET",
    host: "gw.example.com",
    path: "/",
    query: "",
    clientIp: "127.0.0.1",
    protocol: "http",
    httpVersion: "1.1",
    routeName: "test",
    params: {},
    identity: undefined,
    clientCertificate: undefined,
    readBody: () => Promise.resolve(Buffer.alloc(0)),
    captureResponse: (_max, done) => done(undefined),
    ...partial,
    headers,
    upstreamHeaders: partial.upstreamHeaders ? lowerKeys(partial.upstreamHeaders) : { ...headers },
  };
}

/** A 200 upstream response with the given headers. */
export function fakeResponse(partial: Partial<FakeResponse> = {}): FakeResponse {
  return { status: 200, local: false, ...partial, headers: lowerKeys(partial.headers ?? {}) };
}

const NO_CONSUMERS: ConsumerDirectory = {
  size: 0,
  byName: () => undefined,
  byApiKey: () => undefined,
  verifyBasic: () => undefined,
  bySubject: () => undefined,
  byCertificate: () => undefined,
  all: () => [],
};

/** Services for a policy factory outside a gateway: shared objects are per call, warm-ups are collected. */
export function fakeServices(partial: Partial<PolicyServices> = {}): PolicyServices & {
  warmUps: Array<{ name: string; task: () => Promise<void> }>;
  logged: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;
} {
  const shared = new Map<string, Closable>();
  const warmUps: Array<{ name: string; task: () => Promise<void> }> = [];
  const logged: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  return {
    consumers: NO_CONSUMERS,
    shared<T extends Closable>(key: string, create: () => T): T {
      let v = shared.get(key);
      if (v === undefined) {
        v = create();
        shared.set(key, v);
      }
      return v as T;
    },
    warmUp: (name, task) => void warmUps.push({ name, task }),
    log: (level, message, fields) => void logged.push({ level, message, fields }),
    count: () => {},
    redis: undefined,
    ...partial,
    warmUps,
    logged,
  };
}

/** A PolicyContext for calling a policy's `create` directly in tests. */
export function policyContext(path = "/policies/test", services = fakeServices()): PolicyContext {
  return { path, services };
}

/** Asserts that `create` refuses its options with a PolicyConfigError at `path` whose message matches. */
export function assertRefused(create: () => unknown, path: string, message: RegExp): void {
  assert.throws(create, (err: unknown) => {
    assert.ok(err instanceof PolicyConfigError, `expected PolicyConfigError, got ${err}`);
    assert.equal(err.path, path);
    assert.match(err.message, message);
    return true;
  });
}
