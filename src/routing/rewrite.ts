// `rewrite` compiled into literal pieces and references, so applying it is a few concatenations.
import { type Fail, type PathKind, REGEX, TEMPLATE } from "./path-pattern.ts";

export interface Rewrite {
  /** Always one more literal than references: lits[0] ref[0] lits[1] ref[1] ... lits[n]. */
  lits: string[];
  /** A name (template param or regex named group, read from params) or a regex group number. */
  refs: (string | number)[];
}

const NAME_CHAR = /[A-Za-z0-9_]/;

/**
 * Template routes may reference `:param`; regex routes `$1`..`$9`, `$<name>` and `$$` for a dollar.
 * Exact and prefix routes take the text literally (a prefix route replaces the matched prefix).
 */
export function compileRewrite(
  text: string,
  kind: PathKind,
  names: readonly string[],
  groupCount: number,
  fail: Fail,
): Rewrite {
  if (text.includes("?") || text.includes("#")) {
    fail('must not contain "?" or "#": the query string is forwarded as received');
  }
  if (!text.startsWith("/") && !(kind === REGEX && text.startsWith("$"))) fail('must start with "/"');
  const lits: string[] = [];
  const refs: (string | number)[] = [];
  let lit = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (kind === TEMPLATE && c === ":" && NAME_CHAR.test(text[i + 1] ?? "")) {
      let j = i + 1;
      while (j < text.length && NAME_CHAR.test(text[j])) j++;
      const name = text.slice(i + 1, j);
      if (!names.includes(name)) fail(`references unknown parameter ":${name}"`);
      lits.push(lit);
      refs.push(name);
      lit = "";
      i = j - 1;
    } else if (kind === REGEX && c === "$") {
      const next = text[i + 1];
      if (next === "$") {
        lit += "$";
        i++;
      } else if (next !== undefined && next >= "1" && next <= "9") {
        const n = next.charCodeAt(0) - 48;
        if (n > groupCount) fail(`references group $${n} but the regex has ${groupCount} group(s)`);
        lits.push(lit);
        refs.push(n);
        lit = "";
        i++;
      } else if (next === "<") {
        const close = text.indexOf(">", i);
        if (close < 0) fail('has an unclosed "$<"');
        const name = text.slice(i + 2, close);
        if (!names.includes(name)) fail(`references unknown named group "$<${name}>"`);
        lits.push(lit);
        refs.push(name);
        lit = "";
        i = close;
      } else {
        lit += c;
      }
    } else {
      lit += c;
    }
  }
  lits.push(lit);
  return { lits, refs };
}

export function applyRewrite(
  rw: Rewrite,
  params: Record<string, string>,
  groups: RegExpExecArray | null,
): string {
  let out = rw.lits[0];
  for (let i = 0; i < rw.refs.length; i++) {
    const ref = rw.refs[i];
    out += (typeof ref === "number" ? groups?.[ref] : params[ref]) ?? "";
    out += rw.lits[i + 1];
  }
  return out.charCodeAt(0) === 47 ? out : `/${out}`;
}

/** Replaces the matched prefix with `target`, keeping the rest of the path and its trailing slash. */
export function replacePrefix(path: string, prefix: string, target: string): string {
  const rest = prefix === "/" ? path : path.slice(prefix.length);
  if (rest === "") return target;
  return target.endsWith("/") ? target + rest.slice(1) : target + rest;
}

/** `/api` stripped from `/api` is `/`, from `/api/users` is `/users`; the root prefix strips nothing. */
export function stripPrefix(path: string, prefix: string): string {
  if (prefix === "/") return path;
  return path.length === prefix.length ? "/" : path.slice(prefix.length);
}
