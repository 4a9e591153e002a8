// Ajv instances for one policy: one dialect, with or without type coercion. Params, query values and
// headers arrive as strings, so their instance coerces ("7" → 7, "a" → ["a"]) the way OpenAPI describes
// them; a body's instance never coerces (a JSON "7" is not a number).
import { Ajv } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

export type Dialect = "draft-07" | "2020-12";

type FormatsPlugin = (ajv: Ajv) => Ajv;
// ajv-formats is CommonJS: the plugin is the default export or, through some loaders, its `.default`.
const plugin = addFormatsModule as unknown as FormatsPlugin & { default?: FormatsPlugin };
const addFormats = plugin.default ?? plugin;

const INT32 = 2 ** 31;

/** OpenAPI's own formats; ajv-formats knows the JSON Schema ones. */
function addOpenApiFormats(ajv: Ajv): void {
  ajv.addFormat("int32", {
    type: "number",
    validate: (n: number) => Number.isInteger(n) && n >= -INT32 && n < INT32,
  });
  // Beyond 2^53 a JSON number has already lost precision when parsed; any integer is accepted.
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat("float", { type: "number", validate: () => true });
  ajv.addFormat("double", { type: "number", validate: () => true });
  ajv.addFormat("byte", /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  ajv.addFormat("binary", true);
  ajv.addFormat("password", true);
}

export interface AjvOptions {
  coerce: boolean;
  /**
   * Refuse unknown keywords (a misspelt `requried` would otherwise switch a check off silently). Off for
   * OpenAPI documents, whose schemas carry `example`, `discriminator`, `xml` and `x-` extensions.
   */
  strict: boolean;
}

/**
 * Per-policy instances skip meta-schema validation: compiling the meta-schema costs tens of milliseconds
 * per instance, and a config can have many routes. Schemas from the config are checked here instead, by
 * one instance per dialect that never holds anything but the meta-schema.
 */
const metaCheckers = new Map<Dialect, Ajv>();

/** Why the schema does not conform to its dialect's meta-schema, or undefined when it does. */
export function metaSchemaProblem(dialect: Dialect, schema: unknown): string | undefined {
  let ajv = metaCheckers.get(dialect);
  if (ajv === undefined) {
    const settings = { allErrors: true, strict: false, logger: false as const };
    ajv = dialect === "2020-12" ? (new Ajv2020(settings) as unknown as Ajv) : new Ajv(settings);
    metaCheckers.set(dialect, ajv);
  }
  if (ajv.validateSchema(schema as object) === true) return undefined;
  return ajv.errorsText(ajv.errors, { dataVar: "schema" });
}

export function createAjv(dialect: Dialect, options: AjvOptions): Ajv {
  const settings = {
    allErrors: true,
    coerceTypes: options.coerce ? ("array" as const) : false,
    strict: false,
    strictSchema: options.strict,
    strictNumbers: true,
    logger: false as const,
    validateSchema: false,
  };
  const ajv = dialect === "2020-12" ? (new Ajv2020(settings) as unknown as Ajv) : new Ajv(settings);
  addFormats(ajv);
  addOpenApiFormats(ajv);
  // Annotations that people copy from OpenAPI documents; they never affect validation.
  if (options.strict) ajv.addVocabulary(["example"]);
  return ajv;
}
