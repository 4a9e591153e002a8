// Checks the options as a whole and builds the request hook for `schema:` or `openapi:` mode.
import { PolicyConfigError, type RequestView } from "../../pipeline/types.ts";
import { type Reply, runChecks } from "./check.ts";
import { type BaseRules, compileSchemas } from "./compile-schemas.ts";
import { type MediaRange, parseRange } from "./media-type.ts";
import { compileOpenApi } from "./openapi/compile.ts";
import type { ValidateOptions } from "./schema.ts";

export type RequestCheck = (req: RequestView) => Reply | Promise<Reply>;

function baseRules(options: ValidateOptions, path: string): BaseRules {
  let contentTypes: MediaRange[] | undefined;
  if (options.contentTypes !== undefined) {
    contentTypes = options.contentTypes.map((text, i) => {
      const range = parseRange(text);
      if (range === undefined)
        throw new PolicyConfigError(`${path}/contentTypes/${i}`, `"${text}" is not a media type`);
      return range;
    });
  }
  return { contentTypes, maxBodyBytes: options.maxBodyBytes };
}

export function compileValidation(options: ValidateOptions, path: string): RequestCheck {
  const { schema, openapi } = options;
  if (schema !== undefined && openapi !== undefined) {
    throw new PolicyConfigError(path, "give either `schema` or `openapi`, not both");
  }
  if (openapi !== undefined && options.requireBody !== undefined) {
    throw new PolicyConfigError(
      `${path}/requireBody`,
      "with `openapi`, whether a body is required comes from the operation's requestBody.required",
    );
  }
  const nothing =
    (schema === undefined || Object.keys(schema).length === 0) &&
    openapi === undefined &&
    options.contentTypes === undefined &&
    options.maxBodyBytes === undefined &&
    options.requireBody !== true;
  if (nothing) {
    throw new PolicyConfigError(
      path,
      "nothing to validate: give `schema`, `openapi`, `contentTypes` or `maxBodyBytes`",
    );
  }
  const base = baseRules(options, path);
  if (openapi !== undefined) return compileOpenApi(openapi, base, path);
  const checks = compileSchemas(schema, base, options.requireBody === true, path);
  return (req) => runChecks(checks, req, req.params);
}
