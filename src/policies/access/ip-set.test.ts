import assert from "node:assert/strict";
import { describe, test } from "node:test";
import ipaddr from "ipaddr.js";
import { INVALID, parseAddress } from "./address.ts";
import { compileCidrs } from "./compile-cidrs.ts";
import type { IpSet } from "./ip-set.ts";
import { xorshift32 } from "./testing.ts";

const set = (...entries: string[]): IpSet => compileCidrs(entries, "/test");

function has(s: IpSet, address: string): boolean {
  const a = parseAddress(address);
  assert.notEqual(a, INVALID, address);
  return s.has(a);
}

describe("IpSet", () => {
  test("IPv4 edges of a range", () => {
    const s = set("10.0.0.0/8", "192.0.2.7");
    assert.equal(has(s, "10.0.0.0"), true);
    assert.equal(has(s, "10.255.255.255"), true);
    assert.equal(has(s, "9.255.255.255"), false);
    assert.equal(has(s, "11.0.0.0"), false);
    assert.equal(has(s, "192.0.2.7"), true);
    assert.equal(has(s, "192.0.2.6"), false);
    assert.equal(has(s, "192.0.2.8"), false);
  });

  test("/0 covers its whole family and nothing of the other", () => {
    const v4 = set("0.0.0.0/0");
    assert.equal(has(v4, "0.0.0.0"), true);
    assert.equal(has(v4, "255.255.255.255"), true);
    assert.equal(has(v4, "::1"), false);
    const v6 = set("::/0");
    assert.equal(has(v6, "::"), true);
    assert.equal(has(v6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), true);
    assert.equal(has(v6, "1.2.3.4"), false);
    assert.equal(has(v6, "::ffff:1.2.3.4"), false, "a mapped client is an IPv4 client");
  });

  test("/128 and /32 hold exactly one address", () => {
    const s = set("2001:db8::1/128", "203.0.113.9/32");
    assert.equal(has(s, "2001:db8::1"), true);
    assert.equal(has(s, "2001:db8::"), false);
    assert.equal(has(s, "2001:db8::2"), false);
    assert.equal(has(s, "203.0.113.9"), true);
    assert.equal(has(s, "203.0.113.10"), false);
  });

  test("IPv6 edges across word boundaries", () => {
    const s = set("2001:db8:0:1::/64");
    assert.equal(has(s, "2001:db8:0:1::"), true);
    assert.equal(has(s, "2001:db8:0:1:ffff:ffff:ffff:ffff"), true);
    assert.equal(has(s, "2001:db8:0:0:ffff:ffff:ffff:ffff"), false);
    assert.equal(has(s, "2001:db8:0:2::"), false);
  });

  test("mapped rules and mapped clients meet on IPv4", () => {
    const s = set("::ffff:10.0.0.0/104");
    assert.equal(has(s, "10.1.2.3"), true);
    assert.equal(has(s, "::ffff:10.1.2.3"), true);
    assert.equal(has(s, "11.0.0.0"), false);
    const plain = set("10.0.0.0/8");
    assert.equal(has(plain, "::ffff:10.1.2.3"), true);
  });

  test("overlapping and adjacent ranges merge", () => {
    const s = set(
      "10.0.0.0/9",
      "10.128.0.0/9",
      "10.1.0.0/16",
      "11.0.0.0/8",
      "2001:db8::/33",
      "2001:db8:8000::/33",
    );
    assert.equal(s.size, 2);
    assert.equal(has(s, "11.255.255.255"), true);
    assert.equal(has(s, "12.0.0.0"), false);
    assert.equal(has(s, "2001:db8:ffff::1"), true);
    assert.equal(has(s, "2001:db9::"), false);
  });

  test("the top of each family", () => {
    const s = set("255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    assert.equal(has(s, "255.255.255.255"), true);
    assert.equal(has(s, "255.255.255.254"), false);
    assert.equal(has(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), true);
    assert.equal(has(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), false);
  });

  test("an empty family answers false", () => {
    assert.equal(has(set("10.0.0.0/8"), "2001:db8::1"), false);
    assert.equal(has(set("2001:db8::/32"), "10.0.0.1"), false);
  });

  test("agrees with ipaddr.js range matching on random lists and addresses", () => {
    const rnd = xorshift32(42);
    const cidrs: string[] = [];
    for (let i = 0; i < 300; i++) {
      const p4 = 8 + (rnd() % 25);
      const a4 = ipaddr.IPv4.networkAddressFromCIDR(`${rnd() & 255}.${rnd() & 255}.${rnd() & 255}.0/${p4}`);
      cidrs.push(`${a4.toString()}/${p4}`);
      const p6 = 16 + (rnd() % 113);
      const groups = `2001:${(rnd() & 0xff).toString(16)}:${(rnd() & 0xffff).toString(16)}::${(rnd() & 0xffff).toString(16)}`;
      cidrs.push(`${ipaddr.IPv6.networkAddressFromCIDR(`${groups}/${p6}`).toString()}/${p6}`);
    }
    const parsed = cidrs.map((c) => ipaddr.parseCIDR(c));
    const s = set(...cidrs);
    for (let i = 0; i < 3000; i++) {
      const address =
        i % 2 === 0
          ? `${rnd() & 255}.${rnd() & 255}.${rnd() & 255}.${rnd() & 255}`
          : `2001:${(rnd() & 0xff).toString(16)}:${(rnd() & 0xffff).toString(16)}::${(rnd() & 0xffff).toString(16)}`;
      const a = ipaddr.parse(address);
      const expected = parsed.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits));
      assert.equal(has(s, address), expected, address);
    }
  });
});
