import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { LocalReply, PolicyHooks } from "../../pipeline/types.ts";
import { assertRefused, fakeRequest, policyContext } from "../testing.ts";
import { accessPolicy } from "./index.ts";
import type { AccessOptions } from "./schema.ts";

const PATH = "/routes/3/policies/access";
const create = (options: AccessOptions): PolicyHooks => accessPolicy.create(options, policyContext(PATH));

/** The reply for one request, made synchronously (the hook never returns a Promise). */
function run(
  hooks: PolicyHooks,
  req: { clientIp?: string; path?: string; method?: string },
): LocalReply | undefined {
  const out = hooks.onRequest?.(fakeRequest(req));
  assert.ok(!(out instanceof Promise), "the hook is synchronous");
  return out;
}

function allowed(hooks: PolicyHooks, req: { clientIp?: string; path?: string; method?: string }): boolean {
  const out = run(hooks, req);
  if (out === undefined) return true;
  assert.equal(out.status, 403);
  assert.equal(out.code, "ACCESS_DENIED");
  return false;
}

function refused(options: unknown, path: string, message: RegExp): void {
  assertRefused(() => accessPolicy.create(options as AccessOptions, policyContext(PATH)), path, message);
}

describe("access policy: definition", () => {
  test("runs in the access phase with an onRequest hook only", () => {
    assert.equal(accessPolicy.name, "access");
    assert.equal(accessPolicy.phase, "access");
    assert.equal(accessPolicy.priority, 1000);
    assert.deepEqual(Object.keys(create({ deny: ["10.0.0.0/8"] })), ["onRequest"]);
  });
});

describe("access policy: address lists", () => {
  test("deny refuses listed clients only", () => {
    const hooks = create({ deny: ["10.0.0.0/8", "2001:db8::/32"] });
    assert.equal(allowed(hooks, { clientIp: "10.1.2.3" }), false);
    assert.equal(allowed(hooks, { clientIp: "2001:db8::1" }), false);
    assert.equal(allowed(hooks, { clientIp: "11.0.0.1" }), true);
    assert.equal(allowed(hooks, { clientIp: "2001:db9::1" }), true);
  });

  test("with an allow list, everything else is refused", () => {
    const hooks = create({ allow: ["192.0.2.0/24", "::1"] });
    assert.equal(allowed(hooks, { clientIp: "192.0.2.200" }), true);
    assert.equal(allowed(hooks, { clientIp: "::1" }), true);
    assert.equal(allowed(hooks, { clientIp: "192.0.3.1" }), false);
    assert.equal(allowed(hooks, { clientIp: "::2" }), false);
  });

  test("deny wins over allow", () => {
    const hooks = create({ allow: ["10.0.0.0/8"], deny: ["10.66.0.0/16"] });
    assert.equal(allowed(hooks, { clientIp: "10.1.0.1" }), true);
    assert.equal(allowed(hooks, { clientIp: "10.66.0.1" }), false);
    assert.equal(allowed(hooks, { clientIp: "172.16.0.1" }), false);
    const same = create({ allow: ["10.0.0.1"], deny: ["10.0.0.1"] });
    assert.equal(allowed(same, { clientIp: "10.0.0.1" }), false);
  });

  test("IPv4-mapped clients and rules meet on IPv4", () => {
    const hooks = create({ deny: ["::ffff:10.0.0.0/104"] });
    assert.equal(allowed(hooks, { clientIp: "10.9.9.9" }), false);
    assert.equal(allowed(hooks, { clientIp: "::ffff:10.9.9.9" }), false);
    assert.equal(allowed(hooks, { clientIp: "11.9.9.9" }), true);
    const v4 = create({ allow: ["10.0.0.0/8"] });
    assert.equal(allowed(v4, { clientIp: "::ffff:10.9.9.9" }), true);
    assert.equal(allowed(v4, { clientIp: "::ffff:11.9.9.9" }), false);
  });

  test("::/0 is every IPv6 client, not IPv4 ones (mapped or not)", () => {
    const hooks = create({ deny: ["::/0"] });
    assert.equal(allowed(hooks, { clientIp: "2001:db8::1" }), false);
    assert.equal(allowed(hooks, { clientIp: "10.0.0.1" }), true);
    assert.equal(allowed(hooks, { clientIp: "::ffff:10.0.0.1" }), true);
  });

  test("an address that cannot be read is refused whenever a list is set", () => {
    for (const options of [{ deny: ["10.0.0.0/8"] }, { allow: ["0.0.0.0/0", "::/0"] }]) {
      const hooks = create(options);
      for (const ip of ["", "unknown", "010.0.0.1", "1.2.3.4:5678", "[::1]"]) {
        assert.equal(allowed(hooks, { clientIp: ip }), false, `${JSON.stringify(options)} ${ip}`);
      }
    }
  });

  test("the detail names neither the entry nor the list", () => {
    const out = run(create({ allow: ["10.0.0.0/8"], deny: ["10.1.0.0/16"] }), { clientIp: "10.1.0.1" });
    assert.equal(out?.detail, "client address not allowed");
    const out2 = run(create({ allow: ["10.0.0.0/8"] }), { clientIp: "11.0.0.1" });
    assert.equal(out2?.detail, "client address not allowed");
  });

  test("a list of 10,000 entries", () => {
    const deny: string[] = [];
    for (let i = 0; i < 10_000; i++)
      deny.push(`10.${(i >> 8) & 255}.${i & 255}.0/24`, `2001:db8:${i.toString(16)}::/48`);
    const hooks = create({ deny });
    assert.equal(allowed(hooks, { clientIp: "10.39.15.200" }), false);
    assert.equal(allowed(hooks, { clientIp: "10.40.0.1" }), true);
    assert.equal(allowed(hooks, { clientIp: "2001:db8:270f::1" }), false);
    assert.equal(allowed(hooks, { clientIp: "2001:db8:2710::1" }), true);
  });
});

describe("access policy: rules", () => {
  test("pathPrefix matches whole segments; path matches one path, trailing slash or not", () => {
    const hooks = create({
      rules: [
        { pathPrefix: "/admin", action: "deny" },
        { path: "/ops/stats", action: "deny" },
      ],
    });
    for (const p of ["/admin", "/admin/", "/admin/users", "/ops/stats", "/ops/stats/"]) {
      assert.equal(allowed(hooks, { path: p }), false, p);
    }
    for (const p of ["/", "/admins", "/administrator", "/x/admin", "/ops/stats/x", "/ops/statsx", "/ops"]) {
      assert.equal(allowed(hooks, { path: p }), true, p);
    }
  });

  test("a rule's trailing slash changes nothing", () => {
    const hooks = create({ rules: [{ pathPrefix: "/admin/", action: "deny" }] });
    assert.equal(allowed(hooks, { path: "/admin" }), false);
    assert.equal(allowed(hooks, { path: "/admin/x" }), false);
  });

  test("methods: only those listed, and GET covers HEAD", () => {
    const hooks = create({
      rules: [
        { path: "/admin", methods: ["DELETE"], action: "deny" },
        { pathPrefix: "/reports", methods: ["get"], action: "deny" },
      ],
    });
    assert.equal(allowed(hooks, { path: "/admin", method: "DELETE" }), false);
    assert.equal(allowed(hooks, { path: "/admin", method: "GET" }), true);
    assert.equal(allowed(hooks, { path: "/reports/1", method: "GET" }), false);
    assert.equal(allowed(hooks, { path: "/reports/1", method: "HEAD" }), false);
    assert.equal(allowed(hooks, { path: "/reports/1", method: "POST" }), true);
  });

  test("first match wins: an allow rule before a deny rule carves an exception", () => {
    const hooks = create({
      rules: [
        { path: "/admin/health", action: "allow" },
        { pathPrefix: "/admin", action: "deny" },
      ],
    });
    assert.equal(allowed(hooks, { path: "/admin/health" }), true);
    assert.equal(allowed(hooks, { path: "/admin/health/x" }), false);
    assert.equal(allowed(hooks, { path: "/admin" }), false);
    const reversed = create({
      rules: [
        { pathPrefix: "/admin", action: "deny" },
        { path: "/admin/health", action: "allow" },
      ],
    });
    assert.equal(allowed(reversed, { path: "/admin/health" }), false);
  });

  test("except.cidrs lifts a deny rule for some clients; cidrs narrows it to some", () => {
    const hooks = create({
      rules: [
        { pathPrefix: "/internal", action: "deny", except: { cidrs: ["10.0.0.0/8", "fd00::/8"] } },
        { pathPrefix: "/", methods: ["POST"], cidrs: ["203.0.113.0/24"], action: "deny" },
      ],
    });
    assert.equal(allowed(hooks, { path: "/internal/x", clientIp: "10.2.3.4" }), true);
    assert.equal(allowed(hooks, { path: "/internal/x", clientIp: "fd12::1" }), true);
    assert.equal(allowed(hooks, { path: "/internal/x", clientIp: "192.0.2.1" }), false);
    assert.equal(allowed(hooks, { path: "/a", method: "POST", clientIp: "203.0.113.9" }), false);
    assert.equal(allowed(hooks, { path: "/a", method: "GET", clientIp: "203.0.113.9" }), true);
    assert.equal(allowed(hooks, { path: "/a", method: "POST", clientIp: "198.51.100.1" }), true);
  });

  test("an unreadable address: a deny rule applies, an allow rule does not", () => {
    const hooks = create({
      rules: [
        { pathPrefix: "/internal", action: "deny", except: { cidrs: ["10.0.0.0/8"] } },
        { pathPrefix: "/partner", cidrs: ["192.0.2.0/24"], action: "allow" },
        { pathPrefix: "/partner", action: "deny" },
        { pathPrefix: "/x", cidrs: ["192.0.2.0/24"], action: "deny" },
      ],
    });
    assert.equal(allowed(hooks, { path: "/internal", clientIp: "garbage" }), false);
    assert.equal(allowed(hooks, { path: "/partner", clientIp: "garbage" }), false);
    assert.equal(allowed(hooks, { path: "/partner", clientIp: "192.0.2.1" }), true);
    assert.equal(allowed(hooks, { path: "/x", clientIp: "garbage" }), false);
    assert.equal(
      allowed(hooks, { path: "/y", clientIp: "garbage" }),
      true,
      "rules without addresses ignore it",
    );
  });

  test("address lists come first; rules only refuse more", () => {
    const hooks = create({ allow: ["10.0.0.0/8"], rules: [{ pathPrefix: "/public", action: "allow" }] });
    assert.equal(allowed(hooks, { path: "/public", clientIp: "192.0.2.1" }), false);
    assert.equal(allowed(hooks, { path: "/public", clientIp: "10.0.0.1" }), true);
  });

  test("case-sensitive by default; caseInsensitive compares without ASCII case", () => {
    const strict = create({ rules: [{ pathPrefix: "/admin", action: "deny" }] });
    assert.equal(allowed(strict, { path: "/ADMIN" }), true);
    const loose = create({ rules: [{ pathPrefix: "/Admin", caseInsensitive: true, action: "deny" }] });
    for (const p of ["/admin", "/ADMIN/x", "/aDmIn;x=1", "/ADMIN%2Fx"]) {
      assert.equal(allowed(loose, { path: p }), false, p);
    }
  });

  test("a deny rule holds for every reading of the path (parameters, '//', encoded separators)", () => {
    const hooks = create({
      rules: [
        { pathPrefix: "/admin", action: "deny" },
        { path: "/secret", action: "deny" },
      ],
    });
    for (const p of [
      "/admin;x=1",
      "/admin;jsessionid=1/users",
      "/;x/admin",
      "//admin",
      "/admin%2Fusers",
      "/public%2F..%2Fadmin",
      "/public/..%5Cadmin",
      "/admin%3Bx",
      "/public;a%2F..%2F..%2Fadmin",
      "/secret;x",
      "/secret/;",
    ]) {
      assert.equal(allowed(hooks, { path: p }), false, p);
    }
  });

  test("an allow rule applies only when every reading matches it", () => {
    const hooks = create({
      rules: [
        { pathPrefix: "/public", action: "allow" },
        { pathPrefix: "/", action: "deny" },
      ],
    });
    assert.equal(allowed(hooks, { path: "/public/a" }), true);
    for (const p of [
      "/public/..%2Fadmin",
      "/public%2F..%2Fadmin",
      "/admin;x%2F..%2F..%2Fpublic",
      "/public;x",
    ]) {
      assert.equal(allowed(hooks, { path: p }), false, p);
    }
  });

  test("rule detail says only that the path is not allowed", () => {
    const out = run(create({ rules: [{ pathPrefix: "/admin", action: "deny" }] }), { path: "/admin" });
    assert.equal(out?.detail, "path not allowed");
  });
});

describe("access policy: refused in create, with the path of the entry", () => {
  test("an empty policy", () => {
    refused({}, PATH, /give allow, deny or rules/);
  });

  test("invalid CIDR entries, in allow, deny, rules[].cidrs and rules[].except.cidrs", () => {
    refused({ deny: ["10.0.0.0/8", "192.0.2.0/24", "300.0.0.0/8"] }, `${PATH}/deny/2`, /not a valid IPv4/);
    refused({ allow: ["10.0.0.1/8"] }, `${PATH}/allow/0`, /bits set past the \/8 prefix/);
    refused({ allow: ["::/129"] }, `${PATH}/allow/0`, /at most \/128/);
    refused(
      {
        rules: [
          { pathPrefix: "/a", action: "deny" },
          { pathPrefix: "/b", cidrs: ["x"], action: "deny" },
        ],
      },
      `${PATH}/rules/1/cidrs/0`,
      /not a valid IPv4/,
    );
    refused(
      { rules: [{ pathPrefix: "/a", action: "deny", except: { cidrs: ["10.0.0.0/8", "fe80::1%eth0"] } }] },
      `${PATH}/rules/0/except/cidrs/1`,
      /zone index/,
    );
  });

  test("rule paths that requests could never match", () => {
    refused({ rules: [{ path: "admin", action: "deny" }] }, `${PATH}/rules/0/path`, /start with "\/"/);
    refused(
      { rules: [{ pathPrefix: "/%61dmin", action: "deny" }] },
      `${PATH}/rules/0/pathPrefix`,
      /write "\/admin"/,
    );
    refused(
      { rules: [{ pathPrefix: "/a/../admin", action: "deny" }] },
      `${PATH}/rules/0/pathPrefix`,
      /write "\/admin"/,
    );
    refused(
      { rules: [{ pathPrefix: "//admin", action: "deny" }] },
      `${PATH}/rules/0/pathPrefix`,
      /write "\/admin"/,
    );
    refused(
      { rules: [{ path: "/caf%c3%a9", action: "deny" }] },
      `${PATH}/rules/0/path`,
      /write "\/caf%C3%A9"/,
    );
    refused({ rules: [{ path: "/a%2Fb", action: "deny" }] }, `${PATH}/rules/0/path`, /encoded slash/);
    refused({ rules: [{ path: "/admin;x", action: "deny" }] }, `${PATH}/rules/0/path`, /parameters/);
    refused({ rules: [{ path: "/admin?x=1", action: "deny" }] }, `${PATH}/rules/0/path`, /no query/);
    refused({ rules: [{ path: "/a b", action: "deny" }] }, `${PATH}/rules/0/path`, /not a valid path/);
  });

  test("both path and pathPrefix, a bad method, a bad action, caseInsensitive without a path", () => {
    refused({ rules: [{ path: "/a", pathPrefix: "/a", action: "deny" }] }, `${PATH}/rules/0`, /not both/);
    refused(
      { rules: [{ path: "/a", methods: ["GET", "GE T"], action: "deny" }] },
      `${PATH}/rules/0/methods/1`,
      /not a method/,
    );
    refused({ rules: [{ path: "/a", action: "block" }] }, `${PATH}/rules/0/action`, /"allow" or "deny"/);
    refused(
      { rules: [{ methods: ["POST"], caseInsensitive: true, action: "deny" }] },
      `${PATH}/rules/0/caseInsensitive`,
      /needs a path/,
    );
  });

  test("rules after one without conditions never run", () => {
    refused(
      {
        rules: [
          { pathPrefix: "/", action: "deny" },
          { path: "/a", action: "allow" },
        ],
      },
      `${PATH}/rules/1`,
      /never runs: rule 0 has no condition/,
    );
    // Last is fine: it is the default.
    create({ rules: [{ path: "/a", action: "allow" }, { action: "deny" }] });
  });
});
