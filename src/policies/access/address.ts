// Parses the request's client address on the request path: no regex, no allocation. The config side
// (cidr.ts) uses ipaddr.js; this parser reads the same canonical forms the same way (address.test.ts
// checks it against ipaddr.js), and refuses the odd ones ipaddr.js also takes (octal, hex or short IPv4),
// which never come from a socket or a proxy's X-Forwarded-For. Refused means "unknown address", and the
// policy treats an unknown address as the worst case (see compile.ts).

/** Returned for an IPv6 address: the 128 bits are in `V6`, most significant word first. */
export const IPV6 = -2;
/** Returned for text that is not an address. */
export const INVALID = -1;

/** Scratch for the last IPv6 address parsed; read right after the call (single-threaded, never re-entered). */
export const V6 = new Uint32Array(4);
const GROUPS = new Uint16Array(8);

const COLON = 0x3a;
const DOT = 0x2e;
const PERCENT = 0x25;

/**
 * An IPv4 address (dotted decimal, no leading zeros) or an IPv6 address (RFC 4291 text, optional embedded
 * IPv4 and zone index, which is ignored). IPv4-mapped IPv6 (::ffff:a.b.c.d or ::ffff:xxxx:xxxx) and, as
 * ipaddr.js reads it, ::a.b.c.d, are their IPv4 address.
 * Returns the IPv4 address as an unsigned 32-bit number, IPV6 (bits in V6), or INVALID.
 */
export function parseAddress(s: string): number {
  const len = s.length;
  for (let i = 0; i < len; i++) {
    if (s.charCodeAt(i) === COLON) return parseV6(s, len);
  }
  return parseV4(s, 0, len);
}

/** Dotted-decimal IPv4 in s[from..to), or INVALID. */
function parseV4(s: string, from: number, to: number): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && part === 0) return INVALID; // leading zero: octal to some parsers
      part = part * 10 + (c - 0x30);
      if (part > 255) return INVALID;
      digits++;
    } else if (c === DOT) {
      if (digits === 0 || dots === 3) return INVALID;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else return INVALID;
  }
  if (digits === 0 || dots !== 3) return INVALID;
  return value * 256 + part;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

function parseV6(s: string, len: number): number {
  let to = len;
  for (let i = 0; i < len; i++) {
    if (s.charCodeAt(i) === PERCENT) {
      if (i === len - 1) return INVALID; // "%" with no zone
      to = i;
      break;
    }
  }
  let n = 0;
  let gap = -1;
  let i = 0;
  let dottedTail = false;
  if (s.charCodeAt(0) === COLON) {
    if (s.charCodeAt(1) !== COLON) return INVALID;
    gap = 0;
    i = 2;
  }
  while (i < to) {
    const start = i;
    let group = 0;
    while (i < to && i - start < 5) {
      const h = hexValue(s.charCodeAt(i));
      if (h === -1) break;
      group = group * 16 + h;
      i++;
    }
    if (i < to && s.charCodeAt(i) === DOT) {
      // An embedded IPv4 address ends the text and fills the last two groups.
      if (n > 6) return INVALID;
      const v4 = parseV4(s, start, to);
      if (v4 === INVALID) return INVALID;
      GROUPS[n++] = v4 >>> 16;
      GROUPS[n++] = v4 & 0xffff;
      dottedTail = true;
      break;
    }
    if (i === start || i - start > 4 || n === 8) return INVALID;
    GROUPS[n++] = group;
    if (i === to) break;
    if (s.charCodeAt(i) !== COLON) return INVALID;
    i++;
    if (i < to && s.charCodeAt(i) === COLON) {
      if (gap !== -1) return INVALID;
      gap = n;
      i++;
    } else if (i === to) return INVALID; // a single trailing ':'
  }
  if (gap === -1) {
    if (n !== 8) return INVALID;
  } else {
    if (n > 7) return INVALID; // "::" stands for at least one group
    const zeros = 8 - n;
    for (let k = n - 1; k >= gap; k--) GROUPS[k + zeros] = GROUPS[k];
    for (let k = gap; k < gap + zeros; k++) GROUPS[k] = 0;
  }
  if (GROUPS[0] === 0 && GROUPS[1] === 0 && GROUPS[2] === 0 && GROUPS[3] === 0 && GROUPS[4] === 0) {
    if (GROUPS[5] === 0xffff) return GROUPS[6] * 65536 + GROUPS[7];
    // ipaddr.js reads the deprecated "::a.b.c.d" as ::ffff:a.b.c.d; the config side does, so this side must.
    if (GROUPS[5] === 0 && dottedTail && gap === 0 && n === 2) return GROUPS[6] * 65536 + GROUPS[7];
  }
  V6[0] = GROUPS[0] * 65536 + GROUPS[1];
  V6[1] = GROUPS[2] * 65536 + GROUPS[3];
  V6[2] = GROUPS[4] * 65536 + GROUPS[5];
  V6[3] = GROUPS[6] * 65536 + GROUPS[7];
  return IPV6;
}
