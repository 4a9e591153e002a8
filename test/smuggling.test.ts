// Request smuggling at the edge, through a real gateway and real upstreams. Every ambiguous or malformed
// request is sent with a second request right behind it on the same connection: the gateway must answer
// the first with one 400 problem, close, and never let the second (or a refused first) reach an upstream.
// docs/hygiene.md lists which of these Node's parser refuses and which reach the handler.
import assert from "node:assert/strict";
import type http from "node:http";
import { after, before, describe, test } from "node:test";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { parseResponse, rawRequest, responseCount } from "./helpers/raw.ts";
import { startUpstream, type TestUpstream } from "./helpers/upstream.ts";

const SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
const FRAMING = "INVALID_FRAMING";
const HEADER = "INVALID_HEADER";
const HOST = "INVALID_HOST";
const P = "parser" as const;
const H = "handler" as const;

interface Arrivals {
  /** Request-targets whose headers reached the upstream (complete or not). */
  urls: string[];
}

/** Records every request head the upstream receives, before its body (startUpstream's `seen` waits for the end). */
function recordArrivals(up: TestUpstream): Arrivals {
  const a: Arrivals = { urls: [] };
  (up.server as http.Server).on("request", (req: http.IncomingMessage) => a.urls.push(req.url ?? ""));
  return a;
}

describe("request smuggling", () => {
  let up: TestUpstream;
  let adminUp: TestUpstream;
  let arrived: Arrivals;
  let adminArrived: Arrivals;
  let gw: TestGateway;
  let dropGw: TestGateway;
  let allowGw: TestGateway;

  before(async () => {
    up = await startUpstream();
    adminUp = await startUpstream();
    arrived = recordArrivals(up);
    adminArrived = recordArrivals(adminUp);
    const config = baseConfig({
      upstreams: [
        { name: "main", targets: [{ url: up.url }] },
        { name: "admin", targets: [{ url: adminUp.url }] },
      ],
      routes: [
        { name: "admin", match: { path: "/admin" }, upstream: "admin" },
        { name: "all", match: { path: "/" }, upstream: "main" },
      ],
    });
    gw = await startTestGateway(config);
    dropGw = await startTestGateway({ ...config, hygiene: { headersWithUnderscores: "drop" } });
    allowGw = await startTestGateway({ ...config, hygiene: { headersWithUnderscores: "allow" } });
  });
  after(async () => {
    await gw.close();
    await dropGw.close();
    await allowGw.close();
    await up.close();
    await adminUp.close();
  });

  interface Refusal {
    code: string;
    /** Who refuses it on Node 24: llhttp (clientError, detail "parser: HPE_...") or the request handler. */
    by: "parser" | "handler";
    /** The first request's head may reach the upstream: the parser fails only in the body, after the handler ran. */
    inBody?: boolean | undefined;
  }

  /** Sends `first` + SMUGGLED and checks: one 400 problem with `code`, connection closed, nothing smuggled. */
  async function refused(first: string, want: Refusal) {
    // An idle pooled upstream connection makes a wrongly forwarded request reach the upstream before the
    // client connection is gone; without one the race could hide it.
    await warm(gw.port);
    const before = arrived.urls.length;
    const seenBefore = up.seen.length;
    const payload = Buffer.concat([Buffer.from(first, "latin1"), Buffer.from(SMUGGLED)]);
    const r = await rawRequest(gw.port, payload, 2_000);
    assert.equal(r.closed, true, `connection must be closed; got ${JSON.stringify(r.text)}`);
    assert.equal(responseCount(r.text), 1, `exactly one response; got ${JSON.stringify(r.text)}`);
    const res = parseResponse(r.text);
    assert.ok(res, `no response: ${JSON.stringify(r.text)}`);
    assert.equal(res.status, 400, r.text);
    assert.equal(res.headers["content-type"], "application/problem+json");
    assert.equal(res.headers.connection, "close");
    const problem = JSON.parse(res.body) as {
      code: string;
      status: number;
      requestId: string;
      detail?: string;
    };
    assert.equal(problem.code, want.code, res.body);
    assert.equal(problem.status, 400);
    const byParser = problem.detail?.startsWith("parser: ") === true;
    assert.equal(byParser ? "parser" : "handler", want.by, `refused by ${problem.detail}`);
    assert.equal(res.rest, "", "nothing after the problem body");
    // Give a wrongly forwarded request time to arrive before looking.
    await new Promise((r) => setTimeout(r, 30));
    const reached = arrived.urls.slice(before);
    assert.ok(!reached.includes("/smuggled"), `smuggled request reached the upstream: ${reached}`);
    assert.ok(!up.seen.slice(seenBefore).some((s) => s.url === "/smuggled"));
    if (want.inBody)
      assert.ok(!up.seen.slice(seenBefore).some((s) => s.url === "/first"), "no complete first request");
    else assert.deepEqual(reached, [], "a request refused before the handler never reaches the upstream");
    return problem;
  }

  async function warm(port: number) {
    const r = await rawRequest(port, "GET /warm HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(r.status, 200);
  }

  const post = (headers: string, body = "", version = "1.1") =>
    `POST /first HTTP/${version}\r\nHost: x\r\n${headers}\r\n${body}`;
  const get = (headers: string) => `GET /first HTTP/1.1\r\n${headers}\r\n`;

  // [name, first request, code, who refuses it on Node 24 (docs/hygiene.md), parser fails in the body]
  type Form = [string, string, string, "parser" | "handler", boolean?];
  const chunked = (body: string) => post("Transfer-Encoding: chunked\r\n", body);
  const groups: Record<string, Form[]> = {
    "Content-Length and Transfer-Encoding": [
      ["CL then TE", post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), FRAMING, P],
      ["TE then CL", post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n"), FRAMING, P],
      ["duplicate CL, same value", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), FRAMING, P],
      [
        "duplicate CL, different values",
        post("Content-Length: 5\r\nContent-Length: 0\r\n", "hello"),
        FRAMING,
        P,
      ],
      ...["+5", "5,5", "0x5", "-1", "1".repeat(30)].map(
        (v): Form => [
          `CL ${v.length > 5 ? `of ${v.length} digits` : v}`,
          post(`Content-Length: ${v}\r\n`, "hello"),
          FRAMING,
          P,
        ],
      ),
      // llhttp refuses these too, but only once it reaches the body: the handler has already run on the
      // head and refused it (docs/hygiene.md's probe had no handler-side check, so it saw the parser error).
      ...["identity", "xchunked", "chunked;q=1"].map(
        (v): Form => [`TE ${v}`, post(`Transfer-Encoding: ${v}\r\n`, "0\r\n\r\n"), FRAMING, H],
      ),
      ...["chunked, chunked", "chunked, gzip"].map(
        (v): Form => [`TE ${v}`, post(`Transfer-Encoding: ${v}\r\n`, "0\r\n\r\n"), FRAMING, P],
      ),
      ["TE gzip, chunked", post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"), FRAMING, H],
      [
        "two TE fields: chunked, chunked",
        post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
        FRAMING,
        P,
      ],
      [
        "two TE fields: chunked, identity",
        post("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", "0\r\n\r\n"),
        FRAMING,
        P,
      ],
      [
        "two TE fields: identity, chunked",
        post("Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
        FRAMING,
        H,
      ],
      ["TE on HTTP/1.0", post("Transfer-Encoding: chunked\r\n", "0\r\n\r\n", "1.0"), FRAMING, H],
      ["space before the colon", post("Transfer-Encoding : chunked\r\n", "0\r\n\r\n"), HEADER, P],
      ["vertical tab before the value", post("Transfer-Encoding:\x0bchunked\r\n", "0\r\n\r\n"), HEADER, P],
    ],
    "chunked bodies": [
      ["chunk size zz", chunked("zz\r\nhello\r\n0\r\n\r\n"), FRAMING, P, true],
      ["chunk size -1", chunked("-1\r\nhello\r\n0\r\n\r\n"), FRAMING, P, true],
      ["chunk size of 40 hex digits", chunked(`${"f".repeat(40)}\r\nhello\r\n0\r\n\r\n`), FRAMING, P, true],
      [
        "chunk extension over 16 KiB",
        chunked(`5;e=${"a".repeat(20 * 1024)}\r\nhello\r\n0\r\n\r\n`),
        FRAMING,
        P,
        true,
      ],
      ["chunk data not followed by CRLF", chunked("5\r\nhelloXX0\r\n\r\n"), FRAMING, P, true],
    ],
    "header syntax": [
      ["obs-fold with a space", get("Host: x\r\nX-A: one\r\n two\r\n"), HEADER, P],
      ["obs-fold with a tab", get("Host: x\r\nX-A: one\r\n\ttwo\r\n"), HEADER, P],
      ["first header line starting with a space", get(" X-A: 1\r\nHost: x\r\n"), HEADER, P],
      ["NUL in a value", get("Host: x\r\nX-A: a\x00b\r\n"), HEADER, P],
      ["CR in a value", get("Host: x\r\nX-A: a\rb\r\n"), HEADER, P],
      ["LF in a value", get("Host: x\r\nX-A: a\nb\r\n"), HEADER, P],
      ["DEL in a value", get("Host: x\r\nX-A: a\x7fb\r\n"), HEADER, P],
      ["bare LF line endings", "GET /first HTTP/1.1\nHost: x\nX-A: 1\n\n", "BAD_REQUEST", P],
      ["bare LF ending one header line", "GET /first HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n", HEADER, P],
      [
        "header name with an underscore (default reject)",
        get("Host: x\r\nX_Forwarded_For: 1.2.3.4\r\n"),
        HEADER,
        H,
      ],
    ],
    "request line and Host": [
      ["missing Host on HTTP/1.1", get("X-A: 1\r\n"), HOST, H],
      ["duplicate Host, same value", get("Host: x\r\nHost: x\r\n"), HOST, H],
      ["duplicate Host, different values", get("Host: x\r\nHost: admin.internal\r\n"), HOST, H],
      ["Host with userinfo", get("Host: user@x\r\n"), HOST, H],
      [
        "HTTP/2.0 request line on an HTTP/1 connection",
        "GET /first HTTP/2.0\r\nHost: x\r\n\r\n",
        "BAD_REQUEST",
        H,
      ],
      ["raw space in the target", "GET /fir st HTTP/1.1\r\nHost: x\r\n\r\n", "BAD_REQUEST", P],
      ["raw non-ASCII in the target", "GET /fir\xe9st HTTP/1.1\r\nHost: x\r\n\r\n", "INVALID_PATH", P],
    ],
  };
  for (const [group, forms] of Object.entries(groups)) {
    describe(group, () => {
      for (const [name, first, code, by, inBody] of forms) {
        test(name, async () => {
          await refused(first, { code, by, inBody });
        });
      }
    });
  }

  describe("underscores in header names", () => {
    test("drop: the header is removed and the request proceeds", async () => {
      const r = await rawRequest(
        dropGw.port,
        "GET /drop HTTP/1.1\r\nHost: x\r\nX_Real_IP: 6.6.6.6\r\nX-Kept: 1\r\nConnection: close\r\n\r\n",
      );
      assert.equal(r.status, 200, r.text);
      const echoed = JSON.parse(parseResponse(r.text)!.body) as { headers: Record<string, string> };
      assert.equal(echoed.headers.x_real_ip, undefined);
      assert.equal(echoed.headers["x-kept"], "1");
    });
    test("allow: the header passes", async () => {
      const r = await rawRequest(
        allowGw.port,
        "GET /allow HTTP/1.1\r\nHost: x\r\nX_Real_IP: 6.6.6.6\r\nConnection: close\r\n\r\n",
      );
      assert.equal(r.status, 200, r.text);
      const echoed = JSON.parse(parseResponse(r.text)!.body) as { headers: Record<string, string> };
      assert.equal(echoed.headers.x_real_ip, "6.6.6.6");
    });
  });

  describe("path spellings", () => {
    for (const spelling of ["/public/../admin", "//admin", "/%61dmin", "/./admin", "/%2e%2e/admin"]) {
      test(`${spelling} is matched and forwarded as /admin`, async () => {
        const before = adminUp.seen.length;
        const r = await rawRequest(
          gw.port,
          `GET ${spelling} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        );
        assert.equal(r.status, 200, r.text);
        assert.equal(adminUp.seen.length, before + 1, "the /admin route's upstream answered");
        assert.equal(adminUp.seen.at(-1)!.url, "/admin");
        assert.ok(!arrived.urls.includes(spelling));
      });
    }
    test("a plain path goes to the catch-all route", async () => {
      const r = await rawRequest(gw.port, "GET /public/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(r.status, 200);
      assert.equal(up.seen.at(-1)!.url, "/public/x");
    });
    for (const spelling of ["/admin%2F..", "/%2e%2e/admin/%00", "/admin\\..", "/public/..;/admin", "/a#b"]) {
      test(`${spelling} is refused with INVALID_PATH`, async () => {
        const before = adminArrived.urls.length;
        const problem = await refused(`GET ${spelling} HTTP/1.1\r\nHost: x\r\n\r\n`, {
          code: "INVALID_PATH",
          by: H,
        });
        assert.equal(typeof problem.requestId, "string");
        assert.equal(adminArrived.urls.length, before, "nothing reached the /admin upstream");
      });
    }
  });

  test("no smuggled request ever reached an upstream", async () => {
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!arrived.urls.includes("/smuggled"), String(arrived.urls));
    assert.ok(!adminArrived.urls.includes("/smuggled"));
  });
});
