import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertRefused, policyContext } from "../testing.ts";
import { corsPolicy } from "./index.ts";
import type { CorsOptions } from "./schema.ts";

const PATH = "/policies/cors";

function refused(options: unknown, path: string, message: RegExp): void {
  assertRefused(() => corsPolicy.create(options as CorsOptions, policyContext(PATH)), path, message);
}

describe("cors policy: definition", () => {
  test("is an edge policy named after its folder that runs early", () => {
    assert.equal(corsPolicy.name, "cors");
    assert.equal(corsPolicy.phase, "edge");
    assert.ok(corsPolicy.priority >= 1000);
  });
});

describe("cors policy: refused in create", () => {
  test('"*" with credentials, which Fetch forbids', () => {
    refused({ origins: ["*"], credentials: true }, `${PATH}/origins`, /cannot be combined with credentials/);
  });

  test('"*" mixed with other origins', () => {
    refused({ origins: ["https://a.example", "*"] }, `${PATH}/origins`, /list it alone/);
  });

  test("malformed origin patterns, naming the entry", () => {
    const cases: [string, RegExp][] = [
      ["example.com", /starts with its scheme/],
      ["*.example.com", /starts with its scheme/],
      ["https://example.com/", /no path/],
      ["https://example.com/app", /no path/],
      ["https://exa mple.com", /malformed/],
      ["https://", /malformed/],
      ["https://*", /malformed/],
      ["https://*.", /malformed/],
      ["https://a.*.example.com", /malformed/],
      ["https://*example.com", /malformed/],
      ["https://**.example.com", /malformed/],
      ["https://*.[::1]", /malformed/],
      ["https://user@example.com", /malformed/],
      ["https://example.com?x", /malformed/],
      ["https://example.com:", /malformed/],
      ["https://example.com:0", /invalid port/],
      ["https://example.com:080", /invalid port/],
      ["https://example.com:70000", /invalid port/],
      ["NULL", /malformed/],
    ];
    for (const [pattern, why] of cases) {
      refused({ origins: ["https://ok.example", pattern] }, `${PATH}/origins/1`, why);
    }
  });

  test("accepts the documented pattern forms", () => {
    assert.doesNotThrow(() =>
      corsPolicy.create(
        {
          origins: ["https://app.example.com", "https://*.example.com:8443", "http://[::1]:3000", "null"],
          credentials: true,
        },
        policyContext(PATH),
      ),
    );
  });

  test("an empty method list and names that are not tokens (when the schema was bypassed)", () => {
    refused({ origins: ["*"], methods: [] }, `${PATH}/methods`, /at least one/);
    refused({ origins: ["*"], methods: ["GET", "PO ST"] }, `${PATH}/methods/1`, /not a method/);
    refused({ origins: ["*"], allowHeaders: ["x-a", "bad header"] }, `${PATH}/allowHeaders/1`, /header name/);
    refused({ origins: ["*"], exposeHeaders: ["x\r\ny"] }, `${PATH}/exposeHeaders/0`, /header name/);
  });
});
