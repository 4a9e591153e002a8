// The values a parameter schema sees: fresh objects built per request from the path params, the query
// string and the headers. Ajv's coercion rewrites them in place ("7" → 7), so they are never the request's
// own objects. Null prototypes: a client's "__proto__" query key must stay a plain key.
import type { HeaderBag } from "../../pipeline/types.ts";

type Bag = Record<string, unknown>;

/**
 * Names whose schema is an array, with the delimiter that splits one value into items (OpenAPI styles:
 * "," for simple and form without explode, " " spaceDelimited, "|" pipeDelimited), or undefined when
 * items come only as repeated keys (form with explode, the query default).
 */
export type ArrayParams = ReadonlyMap<string, string | undefined>;

function decode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function splitItems(value: string, delimiter: string): string[] {
  return value.split(delimiter).map((s) => s.trim());
}

/** Path params, percent-decoded. */
export function pathObject(params: Readonly<Record<string, string>>, arrays: ArrayParams): Bag {
  const out: Bag = Object.create(null);
  for (const name in params) {
    const value = decode(params[name]);
    const delimiter = arrays.get(name);
    out[name] = delimiter === undefined ? value : splitItems(value, delimiter);
  }
  return out;
}

/** Query parameters (form-decoded); a key given twice or more becomes an array of its values. */
export function queryObject(query: string, arrays: ArrayParams): Bag {
  const out: Bag = Object.create(null);
  if (query === "") return out;
  for (const [name, value] of new URLSearchParams(query)) {
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  for (const [name, delimiter] of arrays) {
    const value = out[name];
    if (delimiter !== undefined && typeof value === "string") out[name] = splitItems(value, delimiter);
  }
  return out;
}

/**
 * Request headers by lower-case name: all of them, or only `names` (an OpenAPI document can only speak of
 * the headers it declares). An array-typed header's values are split at commas (RFC 9110 lists).
 */
export function headerObject(
  headers: Readonly<HeaderBag>,
  arrays: ArrayParams,
  names?: readonly string[],
): Bag {
  const out: Bag = Object.create(null);
  if (names !== undefined) for (const name of names) addHeader(out, headers, arrays, name);
  else {
    for (const name in headers) {
      if (name.charCodeAt(0) !== 58 /* ":" h2 pseudo-header */) addHeader(out, headers, arrays, name);
    }
  }
  return out;
}

function addHeader(out: Bag, headers: Readonly<HeaderBag>, arrays: ArrayParams, name: string): void {
  const value = headers[name];
  if (value === undefined) return;
  if (arrays.has(name)) {
    const items = typeof value === "string" ? [value] : value;
    out[name] = items.flatMap((v) => splitItems(v, ",")).filter((v) => v !== "");
  } else out[name] = typeof value === "string" ? value : [...value];
}
