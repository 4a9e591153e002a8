// Content types (415) and body size (413): what is refused without reading, and what has to be read.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type LocalReply, LocalReplyError } from "../../pipeline/types.ts";
import { isJson, parseContentType, parseRange, rangeMatches, specificity } from "./media-type.ts";
import type { ValidateOptions } from "./schema.ts";
import { create, request } from "./testing.ts";

function status(out: LocalReply | undefined): number | undefined {
  return out?.status;
}

describe("media types", () => {
  test("parameters, case and whitespace do not matter", () => {
    assert.deepEqual(parseContentType(" Application/JSON ; charset=UTF-8"), {
      type: "application",
      subtype: "json",
    });
    assert.equal(parseContentType("json"), undefined);
    assert.equal(parseContentType("*/*"), undefined);
    assert.equal(parseContentType(["a/b", "c/d"]), undefined);
  });

  test("ranges: exact, type/*, */* and structured suffixes", () => {
    const mt = parseContentType("application/vnd.acme+json") ?? assert.fail();
    const matches = (r: string) => rangeMatches(parseRange(r) ?? assert.fail(r), mt);
    assert.ok(matches("application/vnd.acme+json"));
    assert.ok(matches("application/*"));
    assert.ok(matches("*/*"));
    assert.ok(matches("application/*+json"));
    assert.ok(!matches("application/json"));
    assert.ok(!matches("text/*"));
    assert.equal(parseRange("*/json"), undefined);
    assert.deepEqual(
      ["*/*", "application/*", "application/*+json", "application/json"].map((r) =>
        specificity(parseRange(r)!),
      ),
      [0, 1, 2, 3],
    );
  });

  test("JSON is application/json or any +json type", () => {
    assert.ok(isJson({ type: "application", subtype: "json" }));
    assert.ok(isJson({ type: "application", subtype: "merge-patch+json" }));
    assert.ok(!isJson({ type: "text", subtype: "json5" }));
    assert.ok(!isJson({ type: "application", subtype: "x-ndjson" }));
  });
});

describe("validate policy: contentTypes (415)", () => {
  const options: ValidateOptions = { contentTypes: ["application/json", "text/*"] };

  test("a listed type passes, whatever its parameters and case", () => {
    const hooks = create(options);
    for (const type of ["application/json", "APPLICATION/JSON; charset=utf-8", "text/csv"]) {
      const req = request({ body: "x", headers: { "content-type": type } });
      assert.equal(hooks.onRequest(req), undefined, type);
    }
  });

  test("an unlisted type, a missing one and a malformed one are 415, without reading the body", () => {
    const hooks = create(options);
    for (const headers of [{ "content-type": "application/xml" }, {}, { "content-type": "nonsense" }]) {
      const req = request({ body: "<a/>", headers });
      const out = hooks.onRequest(req) as LocalReply;
      assert.equal(status(out), 415);
      assert.equal(out.code, "UNSUPPORTED_MEDIA_TYPE");
      assert.match(out.detail ?? "", /this route accepts application\/json, text\/\*/);
      assert.deepEqual(req.reads, []);
    }
  });

  test("a request without a body is not checked", () => {
    const hooks = create(options);
    assert.equal(
      hooks.onRequest(request({ method: "POST", headers: { "content-type": "image/png" } })),
      undefined,
    );
    const empty = request({
      method: "POST",
      headers: { "content-length": "0", "content-type": "image/png" },
    });
    assert.equal(hooks.onRequest(empty), undefined);
  });

  test("a chunked body is checked like one with a length", () => {
    const out = create(options).onRequest(
      request({ body: "x", chunked: true, headers: { "content-type": "a/b" } }),
    );
    assert.equal(status(out as LocalReply), 415);
  });

  test("HTTP/2 without content-length: the body is read to learn whether there is one", async () => {
    const hooks = create(options);
    const bodyless = request({ httpVersion: "2.0", method: "GET", headers: { "content-type": "image/png" } });
    assert.equal(await hooks.onRequest(bodyless), undefined);
    assert.deepEqual(bodyless.reads, [undefined]);
    const withBody = request({
      httpVersion: "2.0",
      body: "x",
      chunked: true,
      headers: { "content-type": "image/png" },
    });
    assert.equal(status(await hooks.onRequest(withBody)), 415);
  });

  test("with a body schema and no list, only JSON types are taken", async () => {
    const hooks = create({ schema: { body: { type: "object" } } });
    const patch = request({ body: {}, headers: { "content-type": "application/merge-patch+json" } });
    assert.equal(await hooks.onRequest(patch), undefined);
    const form = request({ body: "a=1", headers: { "content-type": "application/x-www-form-urlencoded" } });
    assert.equal(status(hooks.onRequest(form) as LocalReply), 415);
  });

  test("a listed type that is not JSON is let through without body validation", async () => {
    const hooks = create({
      schema: { body: { type: "object" } },
      contentTypes: ["application/json", "text/plain"],
    });
    const text = request({ body: "not json", headers: { "content-type": "text/plain" } });
    assert.equal(hooks.onRequest(text), undefined);
    assert.deepEqual(text.reads, []);
    const json = request({ body: Buffer.from("[]"), headers: { "content-type": "application/json" } });
    assert.equal(status(await hooks.onRequest(json)), 400);
  });
});

describe("validate policy: maxBodyBytes (413)", () => {
  test("a declared length over the limit is refused before anything is read", () => {
    const hooks = create({ maxBodyBytes: 10, schema: { body: {} } });
    const req = request({ body: "x".repeat(11), headers: { "content-type": "application/json" } });
    const out = hooks.onRequest(req) as LocalReply;
    assert.equal(out.status, 413);
    assert.equal(out.code, "BODY_TOO_LARGE");
    assert.deepEqual(req.reads, []);
  });

  test("the limit is passed to readBody, whose 413 propagates to the handler", async () => {
    const hooks = create({ maxBodyBytes: 10, schema: { body: {} } });
    const fits = request({ body: [1, 2, 3] });
    assert.equal(await hooks.onRequest(fits), undefined);
    assert.deepEqual(fits.reads, [10]);
    const chunked = request({
      body: "x".repeat(11),
      chunked: true,
      headers: { "content-type": "application/json" },
    });
    await assert.rejects(Promise.resolve(hooks.onRequest(chunked)), (err: unknown) => {
      assert.ok(err instanceof LocalReplyError);
      assert.equal(err.reply.status, 413);
      return true;
    });
  });

  test("without body validation, a body of declared length is not read", () => {
    const req = request({ body: "x".repeat(10), headers: { "content-type": "text/plain" } });
    assert.equal(create({ maxBodyBytes: 10 }).onRequest(req), undefined);
    assert.deepEqual(req.reads, []);
  });

  test("without body validation, a chunked body is read to hold it to the limit", async () => {
    const hooks = create({ maxBodyBytes: 10 });
    const small = request({ body: "x".repeat(10), chunked: true });
    assert.equal(await hooks.onRequest(small), undefined);
    assert.deepEqual(small.reads, [10]);
    await assert.rejects(
      Promise.resolve(hooks.onRequest(request({ body: "x".repeat(11), chunked: true }))),
      LocalReplyError,
    );
  });
});
