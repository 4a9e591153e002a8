import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type CidrRange, parseCidr } from "./cidr.ts";

function range(text: string): CidrRange {
  const r = parseCidr(text);
  assert.notEqual(typeof r, "string", `${text}: ${String(r)}`);
  return r as CidrRange;
}

function refused(text: string, message: RegExp): void {
  const r = parseCidr(text);
  assert.equal(typeof r, "string", `${text} should be refused`);
  assert.match(r as string, message);
}

const ALL_V6 = (1n << 128n) - 1n;

describe("parseCidr", () => {
  test("IPv4 ranges, /0 to /32, and a bare address as /32", () => {
    assert.deepEqual(range("10.0.0.0/8"), { family: 4, start: 0x0a000000, end: 0x0affffff });
    assert.deepEqual(range("0.0.0.0/0"), { family: 4, start: 0, end: 0xffffffff });
    assert.deepEqual(range("192.0.2.7/32"), { family: 4, start: 0xc0000207, end: 0xc0000207 });
    assert.deepEqual(range("192.0.2.7"), { family: 4, start: 0xc0000207, end: 0xc0000207 });
    assert.deepEqual(range("255.255.255.254/31"), { family: 4, start: 0xfffffffe, end: 0xffffffff });
  });

  test("IPv6 ranges, /0 to /128, and a bare address as /128", () => {
    assert.deepEqual(range("::/0"), { family: 6, start: 0n, end: ALL_V6 });
    assert.deepEqual(range("2001:db8::/32"), {
      family: 6,
      start: 0x20010db8n << 96n,
      end: (0x20010db8n << 96n) | ((1n << 96n) - 1n),
    });
    assert.deepEqual(range("::1/128"), { family: 6, start: 1n, end: 1n });
    assert.deepEqual(range("::1"), { family: 6, start: 1n, end: 1n });
    assert.deepEqual(range("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), {
      family: 6,
      start: ALL_V6,
      end: ALL_V6,
    });
  });

  test("IPv4-mapped ranges are the IPv4 ranges", () => {
    assert.deepEqual(range("::ffff:10.0.0.0/104"), range("10.0.0.0/8"));
    assert.deepEqual(range("::ffff:a00:0/104"), range("10.0.0.0/8"));
    assert.deepEqual(range("::ffff:192.0.2.7"), range("192.0.2.7"));
    assert.deepEqual(range("::ffff:0:0/96"), range("0.0.0.0/0"));
    // ipaddr.js reads the deprecated ::a.b.c.d as mapped; so does the request side.
    assert.deepEqual(range("::10.0.0.0/104"), range("10.0.0.0/8"));
  });

  test("an IPv6 range shorter than /96 stays IPv6 even when it covers the mapped block", () => {
    assert.deepEqual(range("::/0").family, 6);
    assert.deepEqual(range("::fffe:0:0/95"), { family: 6, start: 0xfffe00000000n, end: 0xffffffffffffn });
  });

  test("refuses host bits past the prefix, and says what to write", () => {
    refused("10.0.0.1/8", /bits set past the \/8 prefix: write "10.0.0.0\/8"/);
    refused("192.0.2.128/24", /write "192.0.2.0\/24"/);
    refused("2001:db8::1/32", /write "2001:db8::\/32"/);
    refused("::ffff:10.0.0.1/104", /write "::ffff:a00:0\/104"/);
  });

  test("refuses prefixes out of range or malformed", () => {
    refused("10.0.0.0/33", /at most \/32/);
    refused("::/129", /at most \/128/);
    refused("10.0.0.0/08", /not an IPv4 or IPv6 address/);
    refused("10.0.0.0/", /not an IPv4 or IPv6 address/);
    refused("10.0.0.0/8/8", /not an IPv4 or IPv6 address/);
    refused("10.0.0.0/-1", /not an IPv4 or IPv6 address/);
    refused("10.0.0.0/100", /at most \/32/);
    refused("10.0.0.0/1000", /not an IPv4 or IPv6 address/);
  });

  test("refuses addresses ipaddr.js would read in surprising ways", () => {
    refused("10/8", /dotted decimal/);
    refused("010.0.0.0/8", /dotted decimal/);
    refused("0x0a.0.0.0/8", /dotted decimal/);
    refused("167772160/8", /dotted decimal/);
    refused("10.0.0", /dotted decimal/);
    refused("::ffff:010.0.0.1", /embedded IPv4/);
    refused("::ffff:0xa.0.0.1", /embedded IPv4/);
  });

  test("refuses zone indexes, garbage and empty text", () => {
    refused("fe80::1%eth0", /zone index/);
    refused("fe80::/10%eth0", /not an IPv4 or IPv6/);
    refused("localhost", /not a valid IPv4/);
    refused("", /not an IPv4 or IPv6/);
    refused(" 10.0.0.0/8", /not a valid IPv4/);
    refused("1::2::3/64", /not a valid IPv6/);
    refused("10.0.0.256", /not a valid IPv4/);
  });
});
