import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PathTable } from "./paths.ts";

function table(...templates: string[]): PathTable<string> {
  const t = new PathTable<string>();
  for (const template of templates) t.add(template, template);
  return t;
}

describe("OpenAPI path templates", () => {
  test("a parameter takes one whole, non-empty segment, still encoded", () => {
    const t = table("/pets/{id}");
    assert.deepEqual(t.match("/pets/a%2Fb")?.params, { id: "a%2Fb" });
    assert.equal(t.match("/pets/"), undefined);
    assert.equal(t.match("/pets/1/2"), undefined);
    assert.equal(t.match("/pets"), undefined);
  });

  test("concrete paths win over templates, whatever the document order", () => {
    const t = table("/pets/{id}", "/pets/mine");
    assert.equal(t.match("/pets/mine")?.template, "/pets/mine");
    assert.equal(t.match("/pets/7")?.template, "/pets/{id}");
  });

  test("among templates, the first literal segment from the left wins", () => {
    const t = table("/{a}/{b}/c", "/{a}/b/{c}", "/a/{b}/{c}");
    assert.equal(t.match("/a/b/c")?.template, "/a/{b}/{c}");
    assert.equal(t.match("/x/b/c")?.template, "/{a}/b/{c}");
    assert.equal(t.match("/x/y/c")?.template, "/{a}/{b}/c");
  });

  test("several parameters and literals in one segment", () => {
    const t = table("/files/{name}.{ext}", "/v{major}/items");
    assert.deepEqual(t.match("/files/report.tar.gz")?.params, { name: "report", ext: "tar.gz" });
    assert.deepEqual(t.match("/v2/items")?.params, { major: "2" });
    assert.equal(t.match("/files/report"), undefined);
  });

  test("regex characters in literals are literal", () => {
    const t = table("/a.b/{x}(1)");
    assert.deepEqual(t.match("/a.b/z(1)")?.params, { x: "z" });
    assert.equal(t.match("/aXb/z(1)"), undefined);
  });

  test("malformed templates are refused", () => {
    assert.throws(() => table("pets"), /does not start with "\/"/);
    assert.throws(() => table("/pets/{id"), /unbalanced/);
    assert.throws(() => table("/pets/id}"), /unbalanced/);
  });
});
