// Plain-object stand-ins for RequestView/ResponseView, so policy tests drive hooks without a server.
// Header names are lower-cased here because the server hands policies lower-case bags.
import type { HeaderBag, RequestView, ResponseView } from "../pipeline/types.ts";

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
    ...partial,
    headers,
    upstreamHeaders: partial.upstreamHeaders ? lowerKeys(partial.upstreamHeaders) : { ...headers },
  };
}

/** A 200 upstream response with the given headers. */
export function fakeResponse(partial: Partial<FakeResponse> = {}): FakeResponse {
  return { status: 200, local: false, ...partial, headers: lowerKeys(partial.headers ?? {}) };
}
