// CORS options → the lookups and prebuilt header values the hooks use per request.

import { TOKEN } from "../../pipeline/token.ts";
import { PolicyConfigError } from "../../pipeline/types.ts";
import { compileOrigins, type OriginMatcher } from "./origins.ts";
import type { CorsOptions } from "./schema.ts";

export interface CompiledCors {
  /** "*": every response gets the constant "Access-Control-Allow-Origin: *" (credentials are off). */
  readonly origins: "*" | OriginMatcher;
  readonly credentials: boolean;
  readonly anyMethod: boolean;
  /** Upper-cased. */
  readonly methods: ReadonlySet<string>;
  /** Access-Control-Allow-Methods, or undefined to echo the requested method. */
  readonly methodsValue: string | undefined;
  /** "*" was configured: any request header except Authorization (as in Fetch) unless listed too. */
  readonly anyHeader: boolean;
  /** Lower-cased, without "*". */
  readonly allowHeaders: ReadonlySet<string>;
  /** Constant Access-Control-Allow-Headers; undefined means echo the requested headers. */
  readonly allowHeadersValue: string | undefined;
  /** Constant Access-Control-Expose-Headers, when it does not depend on the response. */
  readonly exposeValue: string | undefined;
  /** "*" with credentials, where "*" is literal in Fetch: list the response's header names instead. */
  readonly exposeAll: boolean;
  readonly exposeNames: readonly string[];
  readonly maxAge: string | undefined;
  readonly privateNetwork: boolean;
}

const DEFAULT_METHODS = ["GET", "HEAD", "POST"];

function names(list: readonly string[] | undefined, path: string): string[] {
  const out = new Set<string>();
  (list ?? []).forEach((raw, i) => {
    if (!TOKEN.test(raw)) throw new PolicyConfigError(`${path}/${i}`, `"${raw}" is not a valid header name`);
    out.add(raw.toLowerCase());
  });
  return [...out];
}

export function compileCors(options: CorsOptions, path: string): CompiledCors {
  const credentials = options.credentials === true;
  const origins = compileOrigins(options.origins, `${path}/origins`);
  if (origins === "*" && credentials) {
    throw new PolicyConfigError(
      `${path}/origins`,
      'origins "*" cannot be combined with credentials: true (the Fetch standard refuses ' +
        '"Access-Control-Allow-Origin: *" on credentialed requests); list the origins instead',
    );
  }

  const methodList = options.methods ?? DEFAULT_METHODS;
  if (methodList.length === 0) throw new PolicyConfigError(`${path}/methods`, "list at least one method");
  const methods = new Set<string>();
  methodList.forEach((raw, i) => {
    if (raw !== "*" && !/^[A-Za-z]+$/.test(raw)) {
      throw new PolicyConfigError(`${path}/methods/${i}`, `"${raw}" is not a method name`);
    }
    methods.add(raw.toUpperCase());
  });
  const anyMethod = methods.delete("*");
  // With credentials "*" is a literal method name in Fetch, so the requested method is echoed.
  const methodsValue = anyMethod ? (credentials ? undefined : "*") : [...methods].join(", ");

  const allow = names(options.allowHeaders, `${path}/allowHeaders`);
  const anyHeader = allow.includes("*");
  const allowHeaders = new Set(allow.filter((n) => n !== "*"));
  const allowHeadersValue = anyHeader && !credentials ? ["*", ...allowHeaders].join(", ") : undefined;

  const expose = names(options.exposeHeaders, `${path}/exposeHeaders`);
  const exposeAll = credentials && expose.includes("*");
  const exposeNames = expose.filter((n) => n !== "*");

  return {
    origins,
    credentials,
    anyMethod,
    methods,
    methodsValue,
    anyHeader,
    allowHeaders,
    allowHeadersValue,
    exposeValue: !exposeAll && expose.length > 0 ? expose.join(", ") : undefined,
    exposeAll,
    exposeNames,
    maxAge: options.maxAgeSeconds === undefined ? undefined : String(options.maxAgeSeconds),
    privateNetwork: options.privateNetwork === true,
  };
}
