// Reads and parses an OpenAPI document file (YAML or JSON) synchronously, when the plan is compiled.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import { PolicyConfigError } from "../../../pipeline/types.ts";

export type OpenApiVersion = "3.0" | "3.1";

export interface LoadedDocument {
  readonly file: string;
  readonly text: string;
  readonly doc: Record<string, unknown>;
  readonly version: OpenApiVersion;
}

/** `at` is the config path of the `file` option, for errors. */
export function loadDocument(file: string, at: string): LoadedDocument {
  // The config loader made a relative path absolute (against the config's folder); resolve() only
  // matters when the policy is built directly, as in tests.
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PolicyConfigError(at, `cannot read the OpenAPI document ${abs}${code ? ` (${code})` : ""}`);
  }
  let doc: unknown;
  try {
    doc = /\.json$/i.test(abs) ? JSON.parse(text) : parse(text);
  } catch (err) {
    throw new PolicyConfigError(
      at,
      `${abs} is not valid ${/\.json$/i.test(abs) ? "JSON" : "YAML"}: ${(err as Error).message}`,
    );
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new PolicyConfigError(at, `${abs} is not an OpenAPI document (not a mapping)`);
  }
  const record = doc as Record<string, unknown>;
  const declared = record.openapi;
  if (typeof declared !== "string") {
    const why =
      record.swagger !== undefined
        ? "Swagger 2.0 is not supported, convert it to OpenAPI 3"
        : "it has no `openapi` version";
    throw new PolicyConfigError(at, `${abs} is not an OpenAPI 3.0 or 3.1 document: ${why}`);
  }
  const version = /^3\.0\.\d+$/.test(declared) ? "3.0" : /^3\.1\.\d+$/.test(declared) ? "3.1" : undefined;
  if (version === undefined) {
    throw new PolicyConfigError(
      at,
      `${abs} declares OpenAPI ${declared}; only 3.0.x and 3.1.x are supported`,
    );
  }
  return { file: abs, text, doc: record, version };
}
