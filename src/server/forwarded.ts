// Client address and the X-Forwarded-* / Forwarded (RFC 7239) headers. Client-sent copies are believed
// only when the peer that sent them is a configured trusted proxy; otherwise they are replaced.
import { isIPv6 } from "node:net";
import proxyaddr from "proxy-addr";
import { TOKEN } from "../pipeline/token.ts";
import type { HeaderBag } from "../pipeline/types.ts";

export type TrustFn = ((addr: string, hop: number) => boolean) | undefined;

/** Compiles the trusted-proxy list once per plan; undefined when nobody is trusted (the fast path). */
export function compileTrust(cidrs: readonly string[] | undefined): TrustFn {
  if (cidrs === undefined || cidrs.length === 0) return undefined;
  return proxyaddr.compile([...cidrs]);
}

export function unmapIPv4(addr: string): string {
  return addr.startsWith("::ffff:") && addr.includes(".") ? addr.slice(7) : addr;
}

interface ForwardInput {
  peer: string;
  headers: HeaderBag;
  trust: TrustFn;
}

/** The real client address: the peer, or the first untrusted hop of X-Forwarded-For when the peer is trusted. */
export function clientAddress({ peer, headers, trust }: ForwardInput): string {
  if (trust === undefined || !trust(peer, 0)) return peer;
  const chain = proxyaddr.all({ headers, connection: { remoteAddress: peer } } as never, trust);
  // proxyaddr.all returns [peer, ...xff right to left] trimmed at the first untrusted address.
  return unmapIPv4(chain[chain.length - 1] ?? peer);
}

function forwardedNode(ip: string): string {
  return isIPv6(ip) ? `"[${ip}]"` : ip;
}

let lastHost = "";
let lastQuoted = "";

/** RFC 7239 §4: a value that is not a token is a quoted-string. Hosts repeat, so the last one is kept. */
function quoteIfNeeded(value: string): string {
  if (value === lastHost) return lastQuoted;
  lastHost = value;
  lastQuoted = TOKEN.test(value) ? value : `"${value.replace(/["\\]/g, "\\$&")}"`;
  return lastQuoted;
}

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(", ") : v;
}

/**
 * Sets X-Forwarded-For/Proto/Host and Forwarded on the upstream headers.
 * `peerTrusted` decides whether the client-sent values are extended or replaced.
 */
export function setForwardedHeaders(
  out: HeaderBag,
  incoming: HeaderBag,
  peer: string,
  peerTrusted: boolean,
  proto: string,
  host: string,
): void {
  const xff = peerTrusted ? firstValue(incoming["x-forwarded-for"]) : undefined;
  out["x-forwarded-for"] = xff ? `${xff}, ${peer}` : peer;
  const xfp = peerTrusted ? firstValue(incoming["x-forwarded-proto"]) : undefined;
  out["x-forwarded-proto"] = xfp ?? proto;
  const xfh = peerTrusted ? firstValue(incoming["x-forwarded-host"]) : undefined;
  out["x-forwarded-host"] = xfh ?? host;
  const fwd = peerTrusted ? firstValue(incoming.forwarded) : undefined;
  const node = `for=${forwardedNode(peer)};proto=${proto};host=${quoteIfNeeded(host)}`;
  out.forwarded = fwd ? `${fwd}, ${node}` : node;
}
