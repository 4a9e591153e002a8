import { isIPv6 } from "node:net";

// Host values: reg-name, IPv4 or [IPv6], optional :port. The reg-name alphabet is narrower than RFC 3986's
// (no sub-delims, no percent-encoding): `,` `;` `%` and friends have no use in a Host an edge gateway routes
// on, and `a,b` is what two Host headers joined by a careless proxy look like.

const NAME_OK = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) NAME_OK[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) NAME_OK[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) NAME_OK[c] = 1;
for (const ch of "-._~") NAME_OK[ch.charCodeAt(0)] = 1;

const V6_OK = new Uint8Array(128);
for (const ch of "0123456789abcdefABCDEF:.") V6_OK[ch.charCodeAt(0)] = 1;

const MAX_NAME = 255;

/** True when `port` (the text after ':', from..to) is 1-5 digits and at most 65535. */
function validPort(s: string, from: number, to: number): boolean {
  const len = to - from;
  if (len < 1 || len > 5) return false;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
    n = n * 10 + (c - 0x30);
  }
  return n <= 65535;
}

/** Whether a Host header / :authority / absolute-form authority is acceptable. Empty is not. */
export function isValidHost(host: string): boolean {
  const len = host.length;
  if (len === 0) return false;
  let nameEnd: number;
  if (host.charCodeAt(0) === 0x5b) {
    // [IPv6]. isIPv6 accepts zone ids ("fe80::1%eth0"), so the alphabet is checked first; IPvFuture
    // ("[v1.x]") fails both.
    const close = host.indexOf("]");
    if (close < 3) return false;
    for (let i = 1; i < close; i++) {
      const c = host.charCodeAt(i);
      if (c >= 128 || V6_OK[c] === 0) return false;
    }
    if (!isIPv6(host.slice(1, close))) return false;
    nameEnd = close + 1;
  } else {
    nameEnd = len;
    for (let i = 0; i < len; i++) {
      const c = host.charCodeAt(i);
      if (c === 0x3a) {
        nameEnd = i;
        break;
      }
      if (c >= 128 || NAME_OK[c] === 0) return false;
    }
    if (nameEnd === 0 || nameEnd > MAX_NAME) return false;
  }
  if (nameEnd === len) return true;
  return host.charCodeAt(nameEnd) === 0x3a && validPort(host, nameEnd + 1, len);
}

/**
 * The host to route on: lower-cased, port removed, IPv6 brackets kept, one trailing dot removed
 * (`example.com.` names the same host as `example.com`; Envoy's strip_trailing_host_dot). Returns the input
 * itself when nothing changes. Expects a value that passed isValidHost.
 */
export function hostWithoutPort(host: string): string {
  let end = host.length;
  if (host.charCodeAt(0) === 0x5b) {
    const close = host.indexOf("]");
    if (close !== -1) end = close + 1;
  } else {
    const colon = host.indexOf(":");
    if (colon !== -1) end = colon;
    if (end > 1 && host.charCodeAt(end - 1) === 0x2e) end--;
  }
  for (let i = 0; i < end; i++) {
    const c = host.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return host.slice(0, end).toLowerCase();
  }
  return end === host.length ? host : host.slice(0, end);
}
