import assert from "node:assert/strict";
import { describe, test } from "node:test";
import ipaddr from "ipaddr.js";
import { INVALID, IPV6, parseAddress, V6 } from "./address.ts";
import { xorshift32 } from "./testing.ts";

function v6Words(text: string): number[] {
  assert.equal(parseAddress(text), IPV6, text);
  return [...V6];
}

/** What ipaddr.js makes of the text, in the same terms: IPv4 number, IPv6 words, or INVALID. */
function viaIpaddr(text: string): number | number[] {
  if (!ipaddr.isValid(text)) return INVALID;
  let a = ipaddr.parse(text);
  if (a.kind() === "ipv6" && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
  const bytes = a.toByteArray();
  if (a.kind() === "ipv4") return bytes.reduce((acc, b) => acc * 256 + b, 0);
  return [0, 1, 2, 3].map((k) => bytes.slice(k * 4, k * 4 + 4).reduce((acc, b) => acc * 256 + b, 0));
}

function viaParser(text: string): number | number[] {
  const r = parseAddress(text);
  return r === IPV6 ? [...V6] : r;
}

describe("parseAddress", () => {
  test("IPv4 dotted decimal, edges included", () => {
    assert.equal(parseAddress("0.0.0.0"), 0);
    assert.equal(parseAddress("255.255.255.255"), 0xffffffff);
    assert.equal(parseAddress("10.1.2.3"), 0x0a010203);
    assert.equal(parseAddress("127.0.0.1"), 0x7f000001);
  });

  test("refuses IPv4 forms that are not four plain decimal parts", () => {
    for (const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.0.0.1",
      "01.2.3.4",
      "1.2.3.04",
      "0x1.2.3.4",
      "1.2.3.4 ",
      " 1.2.3.4",
      "1..2.3",
      "1.2.3.",
      ".1.2.3",
      "167772161",
      "1.2.3.4:80",
      "unknown",
      "1.2.3.4/32",
    ]) {
      assert.equal(parseAddress(bad), INVALID, JSON.stringify(bad));
    }
  });

  test("IPv6 in full, compressed and mixed forms", () => {
    assert.deepEqual(v6Words("::"), [0, 0, 0, 0]);
    assert.deepEqual(v6Words("::1"), [0, 0, 0, 1]);
    assert.deepEqual(v6Words("2001:db8::1"), [0x20010db8, 0, 0, 1]);
    assert.deepEqual(v6Words("2001:DB8:0:0:0:0:0:1"), [0x20010db8, 0, 0, 1]);
    assert.deepEqual(
      v6Words("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    );
    assert.deepEqual(v6Words("1:2:3:4:5:6:7::"), [0x10002, 0x30004, 0x50006, 0x70000]);
    assert.deepEqual(v6Words("64:ff9b::192.0.2.1"), [0x0064ff9b, 0, 0, 0xc0000201]);
    assert.deepEqual(v6Words("fe80::1%eth0"), [0xfe800000, 0, 0, 1], "the zone index is ignored");
  });

  test("refuses malformed IPv6", () => {
    for (const bad of [
      ":",
      ":::",
      "1::2::3",
      ":1::",
      "1:",
      "1::2:",
      "12345::1",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8::",
      "g::1",
      "::1%",
      "[::1]",
      "::ffff:1.2.3",
      "::ffff:01.2.3.4",
      "1:2:3:4:5:6:7:1.2.3.4",
    ]) {
      assert.equal(parseAddress(bad), INVALID, bad);
    }
  });

  test("IPv4-mapped IPv6 is the IPv4 address, in dotted or hex form", () => {
    assert.equal(parseAddress("::ffff:10.1.2.3"), 0x0a010203);
    assert.equal(parseAddress("::FFFF:a01:203"), 0x0a010203);
    assert.equal(parseAddress("0:0:0:0:0:ffff:10.1.2.3"), 0x0a010203);
    assert.equal(parseAddress("::ffff:0.0.0.0"), 0);
    assert.equal(parseAddress("::ffff:255.255.255.255"), 0xffffffff);
    // Not mapped: a different /96.
    assert.equal(parseAddress("::fffe:10.1.2.3"), IPV6);
    assert.equal(parseAddress("1::ffff:10.1.2.3"), IPV6);
  });

  test("agrees with ipaddr.js (which parses the config) on every form it accepts", () => {
    const corpus = [
      "0.0.0.0",
      "10.0.0.1",
      "255.255.255.255",
      "::",
      "::1",
      "::ffff:10.0.0.1",
      "::ffff:a00:1",
      "::1.2.3.4",
      "::0:1.2.3.4",
      "0:0:0:0:0:0:1.2.3.4",
      "2001:db8::",
      "2001:db8:0:0:1:0:0:1",
      "fe80::1:2:3:4",
      "1:2:3:4:5:6:7:8",
      "1::8",
      "::2:3:4:5:6:7:8",
      "1:2:3:4:5:6::",
    ];
    // Random addresses, written the way Node writes them.
    const rnd = xorshift32(7);
    for (let i = 0; i < 500; i++) {
      corpus.push([rnd() & 255, rnd() & 255, rnd() & 255, rnd() & 255].join("."));
      const groups = Array.from({ length: 8 }, () => ((rnd() & 1) === 0 ? 0 : rnd() & 0xffff));
      corpus.push(ipaddr.fromByteArray(groups.flatMap((g) => [g >> 8, g & 255])).toString());
      corpus.push(groups.map((g) => g.toString(16)).join(":"));
    }
    for (const text of corpus) assert.deepEqual(viaParser(text), viaIpaddr(text), text);
  });
});
