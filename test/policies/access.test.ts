// The access policy through a running gateway: the client address it sees comes from the socket and the
// trusted-proxy chain only, never from a client's forwarding headers; and no spelling of a denied path
// reaches the upstream. Requests go out on raw sockets so nothing normalizes them on the way.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { baseConfig, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { parseResponse, rawRequest } from "../helpers/raw.ts";
import { startUpstream, type TestUpstream } from "../helpers/upstream.ts";

interface Reply {
  status: number;
  code: string | undefined;
  detail: string | undefined;
}

async function send(port: number, target: string, headers: Record<string, string> = {}): Promise<Reply> {
  const head = [`GET ${target} HTTP/1.1`, "Host: gw.test", "Connection: close"];
  for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
  const raw = await rawRequest(port, `${head.join("\r\n")}\r\n\r\n`);
  const res = parseResponse(raw.text);
  let code: string | undefined;
  let detail: string | undefined;
  if (res?.headers["content-type"] === "application/problem+json") {
    ({ code, detail } = JSON.parse(res.body) as { code: string; detail?: string });
  }
  return { status: raw.status, code, detail };
}

function route(name: string, path: string, access: unknown): Record<string, unknown> {
  return { name, match: { path }, upstream: "up", policies: { access } };
}

interface Fixture {
  up: TestUpstream;
  gw: TestGateway;
}

/** An upstream "up" and a gateway in front of it, started before the enclosing suite and closed after it. */
function gatewayFixture(config: { routes: unknown[]; [key: string]: unknown }): Fixture {
  const fx = {} as Fixture;
  before(async () => {
    fx.up = await startUpstream();
    fx.gw = await startTestGateway(
      baseConfig({ upstreams: [{ name: "up", targets: [{ url: fx.up.url }] }], ...config }),
    );
  });
  after(async () => {
    await fx.gw.close();
    await fx.up.close();
  });
  return fx;
}

const ADDRESS_ROUTES = [
  route("only-doc", "/only-doc", { allow: ["203.0.113.0/24"] }),
  route("only-local", "/only-local", { allow: ["127.0.0.1"] }),
  route("no-local", "/no-local", { deny: ["127.0.0.0/8"] }),
  route("no-mapped-local", "/no-mapped-local", { deny: ["::ffff:127.0.0.0/104"] }),
  route("no-doc6", "/no-doc6", { deny: ["2001:db8::/32"] }),
];

// Every header a client might use to claim another address.
const SPOOFS: Record<string, string>[] = [
  { "X-Forwarded-For": "203.0.113.5" },
  { "X-Forwarded-For": "203.0.113.5, 203.0.113.6" },
  { "X-Real-IP": "203.0.113.5" },
  { Forwarded: "for=203.0.113.5" },
  { Forwarded: 'for="[2001:db8::1]"' },
  { "True-Client-IP": "203.0.113.5", "CF-Connecting-IP": "203.0.113.5", "X-Client-IP": "203.0.113.5" },
  { "X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1" },
];

describe("access: the client address behind trustedProxies", () => {
  let up: TestUpstream;
  let untrusted: TestGateway;
  let trusted: TestGateway;

  before(async () => {
    up = await startUpstream();
    const upstreams = [{ name: "up", targets: [{ url: up.url }] }];
    // The test client (127.0.0.1) is not a trusted proxy here...
    untrusted = await startTestGateway(
      baseConfig({ upstreams, routes: ADDRESS_ROUTES, trustedProxies: ["10.0.0.0/8", "::1"] }),
    );
    // ...and is one here.
    trusted = await startTestGateway(
      baseConfig({ upstreams, routes: ADDRESS_ROUTES, trustedProxies: ["127.0.0.1/32"] }),
    );
  });
  after(async () => {
    await untrusted.close();
    await trusted.close();
    await up.close();
  });

  test("from an untrusted peer, no forwarding header changes the address the lists see", async () => {
    for (const spoof of [{}, ...SPOOFS]) {
      const what = JSON.stringify(spoof);
      assert.equal((await send(untrusted.port, "/only-doc", spoof)).status, 403, what);
      assert.equal((await send(untrusted.port, "/only-local", spoof)).status, 200, what);
      assert.equal((await send(untrusted.port, "/no-local", spoof)).status, 403, what);
      assert.equal((await send(untrusted.port, "/no-doc6", spoof)).status, 200, what);
    }
  });

  test("the refusal is a 403 ACCESS_DENIED problem that names no list", async () => {
    const r = await send(untrusted.port, "/only-doc");
    assert.deepEqual(r, { status: 403, code: "ACCESS_DENIED", detail: "client address not allowed" });
  });

  test("a mapped rule matches the IPv4 peer", async () => {
    assert.equal((await send(untrusted.port, "/no-mapped-local")).status, 403);
  });

  test("from a trusted proxy, the first untrusted hop of X-Forwarded-For is the client", async () => {
    const cases: [string, string, number][] = [
      ["203.0.113.5", "/only-doc", 200],
      ["203.0.113.5", "/only-local", 403],
      ["203.0.113.5", "/no-local", 200],
      // The rightmost untrusted entry is the one the trusted proxy saw; entries left of it are the client's.
      ["203.0.113.5, 198.51.100.7", "/only-doc", 403],
      ["198.51.100.7, 203.0.113.5", "/only-doc", 200],
      // A trusted hop is skipped.
      ["203.0.113.5, 127.0.0.1", "/only-doc", 200],
      ["::ffff:203.0.113.5", "/only-doc", 200],
      ["2001:db8::7", "/no-doc6", 403],
      ["2001:db9::7", "/no-doc6", 200],
      // Not an address: unknown, so refused wherever a list applies.
      ["not-an-ip", "/no-local", 403],
      ["203.0.113.5:4711", "/only-doc", 403],
      ["010.0.0.1", "/no-local", 403],
    ];
    for (const [xff, path, status] of cases) {
      assert.equal(
        (await send(trusted.port, path, { "X-Forwarded-For": xff })).status,
        status,
        `${xff} ${path}`,
      );
    }
  });

  test("from a trusted proxy, X-Real-IP and Forwarded are not read (only X-Forwarded-For is)", async () => {
    const spoofs: Record<string, string>[] = [
      { "X-Real-IP": "203.0.113.5" },
      { Forwarded: "for=203.0.113.5" },
    ];
    for (const spoof of spoofs) {
      assert.equal((await send(trusted.port, "/only-doc", spoof)).status, 403, JSON.stringify(spoof));
      assert.equal((await send(trusted.port, "/only-local", spoof)).status, 200, JSON.stringify(spoof));
    }
  });
});

describe("access: an IPv6 peer", () => {
  const fx = gatewayFixture({
    routes: [
      route("deny6", "/deny6", { deny: ["::1/128"] }),
      route("allow6", "/allow6", { allow: ["::/127"] }),
      route("allow4", "/allow4", { allow: ["0.0.0.0/0"] }),
    ],
    listeners: [{ name: "v6", address: "::1", port: 0, http2: false }],
  });

  test("is matched against IPv6 entries, not IPv4 ones", async () => {
    const get = async (path: string) => {
      const res = await request(`http://[::1]:${fx.gw.port}${path}`, {
        headers: { "x-forwarded-for": "203.0.113.5" },
      });
      await res.body.text();
      return res.statusCode;
    };
    assert.equal(await get("/deny6"), 403);
    assert.equal(await get("/allow6"), 200);
    assert.equal(await get("/allow4"), 403);
  });
});

const DENY_RULES = {
  rules: [
    { pathPrefix: "/admin", action: "deny" },
    { path: "/secret", action: "deny" },
    { pathPrefix: "/private", caseInsensitive: true, action: "deny" },
  ],
};
const ZONE_RULES = {
  rules: [{ pathPrefix: "/zone/open", action: "allow" }, { action: "deny" }],
};
const RULE_ROUTES = [route("zone", "/zone", ZONE_RULES), route("all", "/", DENY_RULES)];

/** Sends each target, checks its status, and checks that none of them reached the upstream. */
async function neverForwarded({ gw, up }: Fixture, cases: [string, number][]): Promise<void> {
  const before = up.seen.length;
  for (const [target, status] of cases) {
    const r = await send(gw.port, target);
    assert.equal(r.status, status, target);
    if (status === 403) assert.deepEqual([r.code, r.detail], ["ACCESS_DENIED", "path not allowed"], target);
    if (status === 400) assert.equal(r.code, "INVALID_PATH", target);
  }
  assert.deepEqual(
    up.seen.slice(before).map((s) => s.url),
    [],
    "the upstream saw none of these",
  );
}

/** Sends each target and checks that it reached the upstream as the expected path. */
async function forwardedAs({ gw, up }: Fixture, cases: [string, string][]): Promise<void> {
  for (const [target, upstreamPath] of cases) {
    const before = up.seen.length;
    assert.equal((await send(gw.port, target)).status, 200, target);
    assert.equal(up.seen[before]?.url, upstreamPath, target);
  }
}

describe("access: path rules against every spelling, default hygiene", () => {
  const fx = gatewayFixture({ routes: RULE_ROUTES });

  test("spellings the normalization canonicalizes are denied", async () => {
    await neverForwarded(fx, [
      ["/admin", 403],
      ["/admin/", 403],
      ["/admin/users", 403],
      ["/admin?x=1", 403],
      ["/%61dmin", 403],
      ["/%61%64%6D%69%6E/users", 403],
      ["/x/../admin", 403],
      ["/./admin", 403],
      ["/x/./../admin", 403],
      ["/%2e%2e/admin", 403],
      ["/x/%2E%2E/admin", 403],
      ["/../../admin", 403],
      ["//admin", 403],
      ["///admin/users", 403],
      ["/admin/.", 403],
      ["/admin/users/..", 403],
      ["http://gw.test/admin", 403],
      ["HTTP://other.test//x/../admin", 403],
      ["/secret", 403],
      ["/secret/", 403],
      ["/%73ecret", 403],
    ]);
  });

  test("spellings the normalization keeps are denied by the policy's own readings", async () => {
    await neverForwarded(fx, [
      ["/admin;x=1", 403],
      ["/admin;jsessionid=AB12/users", 403],
      ["/;x/admin", 403],
      ["/admin;", 403],
      ["/admin%3Bx", 403],
      ["/admin%3bx/users", 403],
      ["/secret;x", 403],
      ["/private", 403],
      ["/PRIVATE", 403],
      ["/Private/x", 403],
      ["/pRiVaTe;x=1", 403],
      ["/%50RIVATE", 403],
    ]);
  });

  test("spellings the normalization refuses", async () => {
    await neverForwarded(fx, [
      ["/admin%2F", 400],
      ["/admin%2fusers", 400],
      ["/x%2F..%2Fadmin", 400],
      ["/x%5C..%5Cadmin", 400],
      ["/x/..;/admin", 400],
      ["/x/..;x=1/admin", 400],
      ["/x/%2e%2e;/admin", 400],
      ["/x/.;/admin", 400],
      ["/admin%00", 400],
      ["/x\\..\\admin", 400],
      ["/admin\\", 400],
      ["/admin#x", 400],
      ["/adm%zzin", 400],
    ]);
  });

  test("an allow rule is not widened by any spelling", async () => {
    await neverForwarded(fx, [
      ["/zone/x", 403],
      ["/zone/open/../x", 403],
      ["/zone/open;x", 403],
      ["/zone/open;x/../x", 403],
    ]);
    await forwardedAs(fx, [
      ["/zone/open", "/zone/open"],
      ["/zone/open/a", "/zone/open/a"],
      ["/zone/x/../open/a", "/zone/open/a"],
    ]);
  });

  test("other paths go through, as the normalization wrote them", async () => {
    await forwardedAs(fx, [
      ["/public", "/public"],
      ["/admins", "/admins"],
      ["/administrator", "/administrator"],
      ["/x/admin", "/x/admin"],
      // Case-sensitive rule: /ADMIN is another resource to RFC 3986 (see the doc for case-insensitive upstreams).
      ["/ADMIN", "/ADMIN"],
      ["/secret/x", "/secret/x"],
      // One decoding gives "admin%2F", not "admin": only a double-decoding upstream would be fooled.
      ["/admin%252F", "/admin%252F"],
    ]);
  });
});

describe("access: path rules with encodedSlashes keep and mergeSlashes off", () => {
  const fx = gatewayFixture({
    hygiene: { encodedSlashes: "keep", mergeSlashes: false },
    routes: RULE_ROUTES,
  });

  test("'//', %2F, %5C and parameters hiding separators are denied", async () => {
    await neverForwarded(fx, [
      ["//admin", 403],
      ["/admin%2Fusers", 403],
      ["/admin%2fusers", 403],
      ["/admin%5Cusers", 403],
      ["/x%2F..%2Fadmin", 403],
      ["/x%5C..%5Cadmin", 403],
      ["/x%2F%2E%2E%2Fadmin", 403],
      ["/public;a%2F..%2F..%2Fadmin", 403],
      ["/admin;x%2F..%2F..%2Fpublic", 403],
      ["/secret%2F", 403],
      ["/PRIVATE%2Fx", 403],
    ]);
  });

  test("an allow rule does not cover a path that another reading puts elsewhere", async () => {
    await neverForwarded(fx, [
      ["/zone/open/..%2Fx", 403],
      ["/zone/open%2F..%2Fx", 403],
    ]);
    await forwardedAs(fx, [["/zone/open/a%2Fb", "/zone/open/a%2Fb"]]);
  });

  test("paths no reading puts under a rule go through unchanged", async () => {
    await forwardedAs(fx, [
      ["/public%2Fadmin", "/public%2Fadmin"],
      ["/x//public", "/x//public"],
      // Dot-segments are removed before slashes would be merged: the upstream gets /x/admin, not /admin.
      ["/x//../admin", "/x/admin"],
      ["/x//admin/..//admin", "/x///admin"],
    ]);
  });
});
