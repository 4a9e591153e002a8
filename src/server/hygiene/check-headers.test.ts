import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { describe, test } from "node:test";
import {
  type CheckHeadersOptions,
  checkHeaders,
  type HeaderCheck,
  hostWithoutPort,
} from "./check-headers.ts";
import { isValidHost } from "./host.ts";

const H11: CheckHeadersOptions = { underscores: "reject", maxHeaders: 100, httpVersion: "1.1" };
const H10: CheckHeadersOptions = { ...H11, httpVersion: "1.0" };
const H2: CheckHeadersOptions = { ...H11, httpVersion: "2.0" };

const withHost = (...rest: string[]) => ["Host", "example.com", ...rest];

function expectCode(raw: string[], opts: CheckHeadersOptions, code: string, label: string): void {
  const r = checkHeaders(raw, opts);
  assert.equal(r.ok, false, `${label}: expected ${code}, got ok`);
  if (!r.ok) assert.equal(r.code, code, `${label}: ${r.detail}`);
}

describe("checkHeaders", () => {
  test("a plain request passes and reports its host", () => {
    assert.deepEqual(checkHeaders(withHost("Accept", "*/*", "Content-Length", "12"), H11), {
      ok: true,
      host: "example.com",
      drop: undefined,
    });
    assert.deepEqual(checkHeaders(["host", "a.test:8080", "Transfer-Encoding", "chunked"], H11), {
      ok: true,
      host: "a.test:8080",
      drop: undefined,
    });
  });

  test("header count over maxHeaders is HEADERS_TOO_LARGE", () => {
    const raw = withHost();
    for (let i = 0; i < 9; i++) raw.push(`X-H${i}`, "v");
    assert.equal(checkHeaders(raw, { ...H11, maxHeaders: 10 }).ok, true);
    expectCode(raw, { ...H11, maxHeaders: 9 }, "HEADERS_TOO_LARGE", "10 headers, max 9");
    // HTTP/2 pseudo-headers are not counted.
    const h2raw = [":method", "GET", ":path", "/", ":scheme", "https", ":authority", "a.test", "x-a", "1"];
    assert.equal(checkHeaders(h2raw, { ...H2, maxHeaders: 1 }).ok, true);
    expectCode([...h2raw, "x-b", "2"], { ...H2, maxHeaders: 1 }, "HEADERS_TOO_LARGE", "h2 over");
  });

  test("underscores: reject, drop or allow", () => {
    const raw = withHost(
      "X_Forwarded_For",
      "1.2.3.4",
      "x-ok",
      "1",
      "x_forwarded_for",
      "5.6.7.8",
      "Auth_Token",
      "t",
    );
    const rejected = checkHeaders(raw, H11);
    assert.equal(rejected.ok, false);
    if (!rejected.ok) {
      assert.equal(rejected.code, "INVALID_HEADER");
      assert.match(rejected.detail, /X_Forwarded_For/);
    }
    assert.deepEqual(checkHeaders(raw, { ...H11, underscores: "drop" }), {
      ok: true,
      host: "example.com",
      drop: ["x_forwarded_for", "auth_token"],
    });
    assert.deepEqual(checkHeaders(raw, { ...H11, underscores: "allow" }), {
      ok: true,
      host: "example.com",
      drop: undefined,
    });
    // A look-alike is not the framing header it resembles.
    assert.deepEqual(checkHeaders(withHost("Content_Length", "5"), { ...H11, underscores: "drop" }), {
      ok: true,
      host: "example.com",
      drop: ["content_length"],
    });
  });

  test("Host: required on HTTP/1.1, optional on 1.0, single, well-formed", () => {
    expectCode(["Accept", "*/*"], H11, "INVALID_HOST", "missing on 1.1");
    expectCode([], H11, "INVALID_HOST", "no headers on 1.1");
    assert.deepEqual(checkHeaders(["Accept", "*/*"], H10), { ok: true, host: "", drop: undefined });
    expectCode(withHost("Host", "example.com"), H11, "INVALID_HOST", "duplicate, same value");
    expectCode(withHost("HOST", "evil.com"), H11, "INVALID_HOST", "duplicate, other case");
    expectCode(withHost("Host", "evil.com"), H10, "INVALID_HOST", "duplicate on 1.0");
    const bad = [
      "",
      " ",
      "user@example.com",
      "user:pw@example.com",
      "exa mple.com",
      "example.com/",
      "example.com:",
      "example.com:http",
      "example.com:65536",
      "example.com:123456",
      "example.com:80:80",
      "a,b",
      "a;b",
      "ex%61mple.com",
      "[::1",
      "[::1]x",
      "[::1]:",
      "[not-v6]",
      "[fe80::1%25eth0]",
      "[]",
      ":80",
      "é.com",
      "a".repeat(256),
    ];
    for (const host of bad) expectCode(["Host", host], H11, "INVALID_HOST", `Host ${JSON.stringify(host)}`);
    const good = [
      "example.com",
      "EXAMPLE.com:443",
      "localhost:1",
      "127.0.0.1",
      "127.0.0.1:65535",
      "[::1]",
      "[::1]:8080",
      "[2001:db8::1]",
      "[::ffff:192.0.2.1]:80",
      "my_host.internal",
      "example.com.",
      "a".repeat(255),
    ];
    for (const host of good) {
      const r = checkHeaders(["Host", host], H11);
      assert.deepEqual(r, { ok: true, host, drop: undefined }, `Host ${host}`);
    }
  });

  test("Content-Length: one, digits only, never with Transfer-Encoding", () => {
    for (const v of ["0", "5", "0005", "123456789012345"]) {
      assert.equal(checkHeaders(withHost("Content-Length", v), H11).ok, true, `CL ${v}`);
    }
    for (const v of [
      "",
      "+5",
      "-1",
      "5,5",
      "5, 5",
      " 5",
      "5 ",
      "0x5",
      "5.0",
      "1e3",
      "1234567890123456",
      "５",
    ]) {
      expectCode(withHost("Content-Length", v), H11, "INVALID_FRAMING", `CL ${JSON.stringify(v)}`);
    }
    expectCode(withHost("Content-Length", "5", "Content-Length", "5"), H11, "INVALID_FRAMING", "dup same");
    expectCode(withHost("Content-Length", "5", "content-length", "6"), H11, "INVALID_FRAMING", "dup diff");
    expectCode(
      withHost("Content-Length", "5", "Transfer-Encoding", "chunked"),
      H11,
      "INVALID_FRAMING",
      "CL+TE",
    );
    expectCode(
      withHost("Transfer-Encoding", "chunked", "Content-Length", "5"),
      H11,
      "INVALID_FRAMING",
      "TE+CL",
    );
    expectCode(
      withHost("Content-Length", "5", "Transfer-Encoding", "chunked"),
      H10,
      "INVALID_FRAMING",
      "1.0",
    );
    assert.equal(checkHeaders(withHost("Content-Length", "5"), H10).ok, true);
  });

  test("Transfer-Encoding: exactly one 'chunked' on HTTP/1.1, none on 1.0 or HTTP/2", () => {
    for (const v of ["chunked", "CHUNKED", "Chunked", " chunked", "chunked\t", "\t chunked  "]) {
      assert.equal(checkHeaders(withHost("Transfer-Encoding", v), H11).ok, true, `TE ${JSON.stringify(v)}`);
    }
    const bad = [
      "",
      "identity",
      "xchunked",
      "chunkedx",
      "chunked, chunked",
      "gzip, chunked",
      "chunked, gzip",
      "chunked;q=1",
      "chunked ;",
      "chun ked",
      "chunk",
      "gzip",
      "\u017fhunked", // long s: some case-folding would map it onto 's'/'c' lookalikes
    ];
    for (const v of bad) expectCode(withHost("Transfer-Encoding", v), H11, "INVALID_FRAMING", `TE ${v}`);
    expectCode(
      withHost("Transfer-Encoding", "chunked", "Transfer-Encoding", "identity"),
      H11,
      "INVALID_FRAMING",
      "two TE",
    );
    expectCode(
      withHost("Transfer-Encoding", "identity", "transfer-encoding", "chunked"),
      H11,
      "INVALID_FRAMING",
      "identity then chunked",
    );
    expectCode(
      withHost("Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked"),
      H11,
      "INVALID_FRAMING",
      "chunked twice",
    );
    expectCode(withHost("Transfer-Encoding", "chunked"), H10, "INVALID_FRAMING", "TE on 1.0");
    expectCode([":authority", "a.test", "transfer-encoding", "chunked"], H2, "INVALID_FRAMING", "TE on h2");
  });

  test("control characters in values are INVALID_HEADER", () => {
    for (const v of ["a\x00b", "a\rb", "a\nb", "a\r\nX-Injected: 1", "\x01", "a\x1fb", "a\x7fb"]) {
      expectCode(withHost("X-A", v), H11, "INVALID_HEADER", `value ${JSON.stringify(v)}`);
      expectCode([":authority", "a.test", "x-a", v], H2, "INVALID_HEADER", `h2 value ${JSON.stringify(v)}`);
    }
    expectCode(["Host", "exa\x00mple.com"], H11, "INVALID_HEADER", "NUL in Host");
    for (const v of ["a\tb", "", "  spaced  ", "caf\u00e9", "ÿ"]) {
      assert.equal(checkHeaders(withHost("X-A", v), H11).ok, true, `value ${JSON.stringify(v)}`);
    }
  });

  test("HTTP/2: :authority or host, and they must agree", () => {
    const base = [":method", "GET", ":path", "/", ":scheme", "https"];
    assert.deepEqual(checkHeaders([...base, ":authority", "a.test:8443"], H2), {
      ok: true,
      host: "a.test:8443",
      drop: undefined,
    });
    assert.deepEqual(checkHeaders([...base, "host", "b.test"], H2), {
      ok: true,
      host: "b.test",
      drop: undefined,
    });
    assert.equal(checkHeaders([...base, ":authority", "a.test", "host", "A.TEST"], H2).ok, true);
    expectCode([...base, ":authority", "a.test", "host", "evil.test"], H2, "INVALID_HOST", "mismatch");
    expectCode(base, H2, "INVALID_HOST", "no authority");
    expectCode([...base, ":authority", "u@a.test"], H2, "INVALID_HOST", "userinfo");
    expectCode(
      [...base, ":authority", "a.test", "host", "a.test", "host", "a.test"],
      H2,
      "INVALID_HOST",
      "dup",
    );
  });
});

describe("hostWithoutPort", () => {
  const rows: [string, string][] = [
    ["example.com", "example.com"],
    ["Example.COM", "example.com"],
    ["example.com:8080", "example.com"],
    ["EXAMPLE.com:8080", "example.com"],
    ["example.com.", "example.com"],
    ["example.com.:443", "example.com"],
    ["127.0.0.1:80", "127.0.0.1"],
    ["[::1]", "[::1]"],
    ["[::1]:8080", "[::1]"],
    ["[2001:DB8::1]:443", "[2001:db8::1]"],
    ["", ""],
  ];
  test("lower-cases, drops the port and a trailing dot, keeps IPv6 brackets", () => {
    for (const [input, want] of rows) assert.equal(hostWithoutPort(input), want, input);
  });
  test("every good host stays a valid host after stripping", () => {
    for (const [input, want] of rows) if (input !== "") assert.ok(isValidHost(want), `${input} -> ${want}`);
  });
});

// The parser and checkHeaders together: whatever Node's llhttp lets through to the handler, checkHeaders
// must refuse. Real server, raw sockets, so a change in Node's parser shows up here.
describe("with Node's real HTTP/1.1 parser", () => {
  async function throughNode(request: string): Promise<HeaderCheck | "parser-refused"> {
    let result: HeaderCheck | "parser-refused" = "parser-refused";
    const server = http.createServer({ requireHostHeader: false }, (req, res) => {
      result = checkHeaders(req.rawHeaders, { ...H11, httpVersion: req.httpVersion });
      req.resume();
      res.end();
    });
    server.on("clientError", (_err, socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => socket.end(request));
        socket.on("data", () => socket.destroy());
        socket.on("error", () => {});
        socket.on("close", () => resolve());
      });
    } finally {
      server.close();
    }
    return result;
  }

  const smuggling: [string, string][] = [
    [
      "CL+TE",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
    ["dup CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"],
    [
      "TE identity, chunked",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
    ["TE gzip, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"],
    ["TE on HTTP/1.0", "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
    ["dup Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"],
    ["no Host", "GET / HTTP/1.1\r\n\r\n"],
    ["Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"],
    ["underscore name", "GET / HTTP/1.1\r\nHost: a\r\nX_Real_IP: 1\r\n\r\n"],
    ["obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n"],
    ["NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\x002\r\n\r\n"],
  ];
  for (const [label, request] of smuggling) {
    test(`${label}: refused by the parser or by checkHeaders`, async () => {
      const r = await throughNode(request);
      assert.ok(r === "parser-refused" || r.ok === false, `${label} got through: ${JSON.stringify(r)}`);
    });
  }

  test("a clean request gets through both", async () => {
    const r = await throughNode(
      "POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert.deepEqual(r, { ok: true, host: "a.test", drop: undefined });
  });
});

describe("with Node's real HTTP/2 server", () => {
  test("rawHeaders from the compat API: pseudo-headers, :authority, underscores", async () => {
    const seen: HeaderCheck[] = [];
    const server = http2.createServer((req, res) => {
      seen.push(checkHeaders(req.rawHeaders, { ...H11, underscores: "drop", httpVersion: req.httpVersion }));
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const client = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const send = (headers: http2.OutgoingHttpHeaders) =>
        new Promise<void>((resolve, reject) => {
          const stream = client.request(headers);
          stream.on("response", () => stream.resume());
          stream.on("end", resolve);
          stream.on("error", reject);
          stream.end();
        });
      await send({ ":path": "/a", x_token: "1" });
      await send({ ":path": "/b", ":authority": "a.test", host: "evil.test" });
    } finally {
      client.close();
      server.close();
    }
    assert.deepEqual(seen[0], { ok: true, host: `127.0.0.1:${port}`, drop: ["x_token"] });
    assert.equal(seen[1].ok, false);
    if (!seen[1].ok) assert.equal(seen[1].code, "INVALID_HOST");
  });
});
