import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { literalHead, parseRegex } from "./path-pattern.ts";

const fail = (detail: string): never => {
  throw new Error(detail);
};

describe("literalHead", () => {
  test("stops at the first metacharacter", () => {
    assert.equal(literalHead("/users/(\\d+)"), "/users/");
    assert.equal(literalHead("/a.b"), "/a");
    assert.equal(literalHead("/exact/path"), "/exact/path");
    assert.equal(literalHead("[/]x"), "");
  });

  test("drops a character made optional or repeated by a quantifier", () => {
    assert.equal(literalHead("/users?/x"), "/user");
    assert.equal(literalHead("/ab*"), "/a");
    assert.equal(literalHead("/ab+"), "/a");
    assert.equal(literalHead("/ab{2}"), "/a");
    assert.equal(literalHead("/a\\.?b"), "/a");
  });

  test("keeps identity escapes and a leading ^", () => {
    assert.equal(literalHead("^\\/v1\\.0\\/(.*)"), "/v1.0/");
    assert.equal(literalHead("/a\\d"), "/a");
  });

  test("gives up on any alternation", () => {
    assert.equal(literalHead("/a/b|/c/d"), "");
    assert.equal(literalHead("/a/(b|c)"), "");
  });
});

describe("parseRegex", () => {
  test("reports groups and the first segment when the literal fixes it", () => {
    const p = parseRegex("/v2/(?<res>[a-z]+)/(\\d+)", fail);
    assert.equal(p.groupCount, 2);
    assert.deepEqual(p.groupNames, ["res"]);
    assert.equal(p.firstSegment, "v2");
    assert.equal(parseRegex("/v2(/.*)?", fail).firstSegment, null);
    assert.equal(parseRegex("/v2/", fail).firstSegment, "v2");
  });
});
