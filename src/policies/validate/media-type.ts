// Media types of request bodies and the ranges a route accepts. Parameters (charset, boundary) never take
// part in a match, and names compare without regard to case (RFC 9110 §8.3.1).
import type { HeaderValue } from "../../pipeline/types.ts";

export interface MediaType {
  readonly type: string;
  readonly subtype: string;
}

/** `type` and `subtype` may be "*"; `subtype` may also be "*+suffix" ("*+json"). */
export interface MediaRange extends MediaType {
  readonly text: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

function split(text: string): MediaType | undefined {
  const semi = text.indexOf(";");
  const essence = (semi === -1 ? text : text.slice(0, semi)).trim().toLowerCase();
  const slash = essence.indexOf("/");
  if (slash <= 0) return undefined;
  const type = essence.slice(0, slash);
  const subtype = essence.slice(slash + 1);
  return TOKEN.test(type) && TOKEN.test(subtype) ? { type, subtype } : undefined;
}

/** The Content-Type of a request, or undefined when it is absent, repeated or not a media type. */
export function parseContentType(value: HeaderValue | undefined): MediaType | undefined {
  const text = typeof value === "string" ? value : value?.length === 1 ? value[0] : undefined;
  if (text === undefined) return undefined;
  const mt = split(text);
  // "*" is a token, but a body cannot have a wildcard type.
  return mt === undefined || mt.type === "*" || mt.subtype.startsWith("*") ? undefined : mt;
}

/** A configured range; undefined when it is not one (checked by the option schema, but also by documents). */
export function parseRange(text: string): MediaRange | undefined {
  const mt = split(text);
  if (mt === undefined) return undefined;
  if (mt.type === "*" && mt.subtype !== "*") return undefined;
  if (mt.subtype.includes("*") && mt.subtype !== "*" && !/^\*\+[^*]+$/.test(mt.subtype)) return undefined;
  if (mt.type.includes("*") && mt.type !== "*") return undefined;
  return { ...mt, text: `${mt.type}/${mt.subtype}` };
}

export function rangeMatches(range: MediaRange, mt: MediaType): boolean {
  if (range.type !== "*" && range.type !== mt.type) return false;
  if (range.subtype === "*" || range.subtype === mt.subtype) return true;
  return range.subtype.startsWith("*+") && mt.subtype.endsWith(range.subtype.slice(1));
}

/** Higher is more specific: an exact type wins over "type/*+suffix", "type/*" and then "*\/*". */
export function specificity(range: MediaRange): number {
  if (range.type === "*") return 0;
  if (range.subtype === "*") return 1;
  return range.subtype.startsWith("*+") ? 2 : 3;
}

/** application/json and any structured "+json" type (application/problem+json, application/vnd.x+json). */
export function isJson(mt: MediaType): boolean {
  return (mt.type === "application" && mt.subtype === "json") || mt.subtype.endsWith("+json");
}

/** Whether some JSON type falls in the range, so a schema given for it has to be compiled. */
export function mayBeJson(range: MediaRange): boolean {
  if (range.subtype.endsWith("+json")) return true;
  return (
    (range.type === "*" || range.type === "application") &&
    (range.subtype === "*" || range.subtype === "json")
  );
}

/** The types a body schema given in `schema.body` applies to when `contentTypes` is not set. */
export const JSON_RANGES: readonly MediaRange[] = [
  parseRange("application/json") as MediaRange,
  parseRange("application/*+json") as MediaRange,
];
