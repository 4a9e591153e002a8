// `schema:` mode: one JSON Schema per request location, compiled when the plan is built.
import type { Ajv, ValidateFunction } from "ajv";
import { PolicyConfigError } from "../../pipeline/types.ts";
import { createAjv, type Dialect, metaSchemaProblem } from "./ajv.ts";
import type { Checks, ParamCheck } from "./check.ts";
import type { ArrayParams } from "./inputs.ts";
import { JSON_RANGES, type MediaRange } from "./media-type.ts";
import type { SchemaOptions } from "./schema.ts";

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;
const DRAFT_2020 = /^https:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

type JsonSchema = boolean | Record<string, unknown>;

function dialectOf(schema: JsonSchema, at: string): Dialect {
  if (typeof schema === "boolean" || schema.$schema === undefined) return "2020-12";
  const uri = schema.$schema;
  if (typeof uri === "string" && DRAFT_07.test(uri)) return "draft-07";
  if (typeof uri === "string" && DRAFT_2020.test(uri)) return "2020-12";
  throw new PolicyConfigError(
    `${at}/$schema`,
    `unsupported JSON Schema dialect ${JSON.stringify(uri)}: use 2020-12 (the default) or draft-07`,
  );
}

function typesOf(schema: unknown): readonly unknown[] {
  if (typeof schema !== "object" || schema === null) return [];
  const type = (schema as { type?: unknown }).type;
  return Array.isArray(type) ? type : type === undefined ? [] : [type];
}

/** Top-level properties declared as arrays: their values are split or gathered into arrays. */
function arrayParams(schema: JsonSchema, delimiter: string | undefined): ArrayParams {
  const out = new Map<string, string | undefined>();
  if (typeof schema === "boolean") return out;
  const properties = schema.properties;
  if (typeof properties !== "object" || properties === null) return out;
  for (const [name, sub] of Object.entries(properties)) {
    if (typesOf(sub).includes("array")) out.set(name, delimiter);
  }
  return out;
}

/** Instances per dialect and coercion, made when first needed. */
class Instances {
  readonly #made = new Map<string, Ajv>();
  get(dialect: Dialect, coerce: boolean): Ajv {
    const key = `${dialect}/${coerce}`;
    let ajv = this.#made.get(key);
    if (ajv === undefined) {
      ajv = createAjv(dialect, { coerce, strict: true });
      this.#made.set(key, ajv);
    }
    return ajv;
  }
}

/** Header names arrive in lower case, so a schema naming "X-Api-Key" could never be satisfied. */
function checkHeaderNames(schema: JsonSchema, at: string): void {
  if (typeof schema === "boolean") return;
  const names = [
    ...Object.keys((schema.properties as object | undefined) ?? {}),
    ...(Array.isArray(schema.required) ? (schema.required as unknown[]).map(String) : []),
  ];
  const upper = names.find((n) => n !== n.toLowerCase());
  if (upper !== undefined) {
    throw new PolicyConfigError(at, `header names are matched in lower case: write "${upper.toLowerCase()}"`);
  }
}

function compile(instances: Instances, schema: JsonSchema, coerce: boolean, at: string): ValidateFunction {
  const dialect = dialectOf(schema, at);
  const problem = metaSchemaProblem(dialect, schema);
  if (problem !== undefined) throw new PolicyConfigError(at, `invalid JSON Schema: ${problem}`);
  const ajv = instances.get(dialect, coerce);
  try {
    return ajv.compile(schema);
  } catch (err) {
    throw new PolicyConfigError(at, `invalid JSON Schema: ${(err as Error).message}`);
  }
}

function paramCheck(
  instances: Instances,
  schema: JsonSchema | undefined,
  at: string,
  delimiter: string | undefined,
): ParamCheck | undefined {
  if (schema === undefined) return undefined;
  const types = typesOf(schema);
  if (types.length > 0 && !types.includes("object")) {
    throw new PolicyConfigError(`${at}/type`, "must describe an object: the values are given by name");
  }
  return { validate: compile(instances, schema, true, at), arrays: arrayParams(schema, delimiter) };
}

function headerCheck(
  instances: Instances,
  schema: JsonSchema | undefined,
  at: string,
): ParamCheck | undefined {
  if (schema !== undefined) checkHeaderNames(schema, at);
  return paramCheck(instances, schema, at, ",");
}

export interface BaseRules {
  readonly contentTypes: readonly MediaRange[] | undefined;
  readonly maxBodyBytes: number | undefined;
}

export function compileSchemas(
  schemas: SchemaOptions | undefined,
  base: BaseRules,
  requireBody: boolean,
  path: string,
): Checks {
  const instances = new Instances();
  const at = `${path}/schema`;
  const body = schemas?.body as JsonSchema | undefined;
  const validateBody = body === undefined ? undefined : compile(instances, body, false, `${at}/body`);
  // A body schema is JSON Schema: without an explicit list, only JSON bodies are taken.
  const accepted = base.contentTypes ?? (validateBody === undefined ? undefined : JSON_RANGES);
  return {
    path: paramCheck(instances, schemas?.path as JsonSchema | undefined, `${at}/path`, ","),
    query: paramCheck(instances, schemas?.query as JsonSchema | undefined, `${at}/query`, undefined),
    headers: headerCheck(instances, schemas?.headers as JsonSchema | undefined, `${at}/headers`),
    accepted: accepted === undefined ? [] : [accepted],
    bodies: validateBody === undefined ? [] : JSON_RANGES.map((range) => ({ range, validate: validateBody })),
    requireBody,
    maxBodyBytes: base.maxBodyBytes,
  };
}
