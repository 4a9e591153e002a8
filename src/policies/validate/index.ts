// Request validation: path params, query, headers and JSON body against JSON Schemas or an OpenAPI
// document, the body's media type against an allow-list, and a per-route body size limit. Runs after
// identity (see PHASES): bodies of requests that will be refused anyway are never read.
import type { PolicyDefinition } from "../../pipeline/types.ts";
import { compileValidation } from "./compile.ts";
import { type ValidateOptions, validateSchema } from "./schema.ts";

export const validatePolicy: PolicyDefinition<ValidateOptions> = {
  name: "validate",
  phase: "validate",
  priority: 1000,
  schema: validateSchema,
  create(options, ctx) {
    return { onRequest: compileValidation(options, ctx.path) };
  },
};
