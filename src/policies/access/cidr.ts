// One allow/deny entry of the config ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7") → an inclusive range of
// one family. Parsed with ipaddr.js, but only in the forms an operator means: dotted-decimal IPv4 without
// leading zeros (ipaddr.js would read "010.0.0.1" as octal and "10" as 0.0.0.10), no zone index, and no
// host bits beyond the prefix (a typo such as "10.0.0.1/8" usually means /32, not 10.0.0.0/8).
import ipaddr from "ipaddr.js";

export type CidrRange =
  | { readonly family: 4; readonly start: number; readonly end: number }
  | { readonly family: 6; readonly start: bigint; readonly end: bigint };

const SHAPE = /^([^/]+)(?:\/(0|[1-9]\d{0,2}))?$/;
const DOTTED_TAIL = /(?:^|:)([^:]*\.[^:]*)$/;
const MAPPED_PREFIX = 96;

function bytesToBigInt(bytes: readonly number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function v6Text(value: bigint): string {
  const bytes: number[] = [];
  for (let shift = 120n; shift >= 0n; shift -= 8n) bytes.push(Number((value >> shift) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

function v4Text(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join(".");
}

/** The range an entry stands for, or a message saying what is wrong with it. */
export function parseCidr(text: string): CidrRange | string {
  const m = SHAPE.exec(text);
  if (m === null) return `"${text}" is not an IPv4 or IPv6 address or CIDR range`;
  const [, address, rawPrefix] = m;

  if (address.includes(":")) {
    if (address.includes("%")) return `"${text}": a zone index (%...) has no meaning in an address list`;
    const tail = DOTTED_TAIL.exec(address);
    if (tail !== null && !ipaddr.IPv4.isValidFourPartDecimal(tail[1])) {
      return `"${text}": the embedded IPv4 address must be dotted decimal without leading zeros`;
    }
    if (!ipaddr.IPv6.isValid(address)) return `"${text}" is not a valid IPv6 address or CIDR range`;
    const prefix = rawPrefix === undefined ? 128 : Number(rawPrefix);
    if (prefix > 128) return `"${text}": an IPv6 prefix is at most /128`;
    const parsed = ipaddr.IPv6.parse(address);
    const value = bytesToBigInt(parsed.toByteArray());
    const hostBits = (1n << BigInt(128 - prefix)) - 1n;
    if ((value & hostBits) !== 0n) {
      return `"${text}" has bits set past the /${prefix} prefix: write "${v6Text(value & ~hostBits)}/${prefix}" for the network, or the address alone`;
    }
    // An IPv4-mapped range is the IPv4 range: the gateway reads ::ffff:a.b.c.d clients as a.b.c.d.
    if (parsed.isIPv4MappedAddress() && prefix >= MAPPED_PREFIX) {
      const start = Number(value & 0xffffffffn);
      return { family: 4, start, end: start + 2 ** (128 - prefix) - 1 };
    }
    return { family: 6, start: value, end: value | hostBits };
  }

  if (!ipaddr.IPv4.isValidFourPartDecimal(address)) {
    return `"${text}" is not a valid IPv4 address or CIDR range (dotted decimal, no leading zeros)`;
  }
  const prefix = rawPrefix === undefined ? 32 : Number(rawPrefix);
  if (prefix > 32) return `"${text}": an IPv4 prefix is at most /32`;
  const value = ipaddr.IPv4.parse(address)
    .toByteArray()
    .reduce((acc, b) => acc * 256 + b, 0);
  const size = 2 ** (32 - prefix);
  if (value % size !== 0) {
    return `"${text}" has bits set past the /${prefix} prefix: write "${v4Text(value - (value % size))}/${prefix}" for the network, or the address alone`;
  }
  return { family: 4, start: value, end: value + size - 1 };
}
