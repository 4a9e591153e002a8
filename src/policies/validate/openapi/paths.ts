// Matches request paths against an OpenAPI document's path templates ("/pets/{petId}"). Concrete paths
// win over templated ones (OpenAPI 3.1 §4.8.8), and among templates the one whose first differing
// segment is literal wins, so "/pets/mine" beats "/pets/{id}" whatever their order in the document.

interface Segment {
  /** Set for a literal segment. */
  readonly literal?: string;
  /** A segment that is exactly one parameter: the whole (non-empty) segment is its value. */
  readonly whole?: string;
  /** A segment mixing literals and parameters ("{name}.{ext}"). */
  readonly regex?: RegExp;
  readonly names?: readonly string[];
}

interface Entry<T> {
  readonly template: string;
  readonly segments: readonly Segment[];
  readonly value: T;
  /** One bit per segment, 1 for templated, first segment highest: lower sorts first. */
  readonly rank: readonly number[];
}

export interface PathMatch<T> {
  readonly template: string;
  readonly value: T;
  /** Raw (still percent-encoded) segment captures by parameter name. */
  readonly params: Record<string, string>;
}

const PARAM = /\{([^{}/]+)\}/g;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function parseSegment(text: string, template: string): Segment {
  if (!text.includes("{") && !text.includes("}")) return { literal: text };
  const whole = /^\{([^{}/]+)\}$/.exec(text);
  if (whole !== null) return { whole: whole[1] };
  const names: string[] = [];
  let source = "";
  let last = 0;
  for (const m of text.matchAll(PARAM)) {
    source += `${escapeRegex(text.slice(last, m.index))}(.+?)`;
    names.push(m[1]);
    last = m.index + m[0].length;
  }
  const tail = text.slice(last);
  if (tail.includes("{") || tail.includes("}") || source.includes("\\{") || source.includes("\\}")) {
    throw new Error(`path "${template}" has an unbalanced "{" or "}"`);
  }
  return { regex: new RegExp(`^${source}${escapeRegex(tail)}$`, "s"), names };
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

export class PathTable<T> {
  readonly #exact = new Map<string, PathMatch<T>>();
  readonly #bySegments = new Map<number, Entry<T>[]>();

  /** Throws when the template is malformed. */
  add(template: string, value: T): void {
    if (!template.startsWith("/")) throw new Error(`path "${template}" does not start with "/"`);
    const segments = template
      .slice(1)
      .split("/")
      .map((s) => parseSegment(s, template));
    if (segments.every((s) => s.literal !== undefined)) {
      this.#exact.set(template, { template, value, params: {} });
      return;
    }
    const rank = segments.map((s) => (s.literal === undefined ? 1 : 0));
    const list = this.#bySegments.get(segments.length) ?? [];
    list.push({ template, segments, value, rank });
    // Stable sort: equally ranked templates keep the document's order.
    list.sort((a, b) => compareRanks(a.rank, b.rank));
    this.#bySegments.set(segments.length, list);
  }

  match(path: string): PathMatch<T> | undefined {
    const exact = this.#exact.get(path);
    if (exact !== undefined) return exact;
    const parts = path.slice(1).split("/");
    const candidates = this.#bySegments.get(parts.length);
    if (candidates === undefined) return undefined;
    for (const entry of candidates) {
      const params = matchSegments(entry.segments, parts);
      if (params !== undefined) return { template: entry.template, value: entry.value, params };
    }
    return undefined;
  }
}

function matchSegments(
  segments: readonly Segment[],
  parts: readonly string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    const part = parts[i];
    if (s.literal !== undefined) {
      if (s.literal !== part) return undefined;
    } else if (s.whole !== undefined) {
      if (part === "") return undefined;
      params[s.whole] = part;
    } else {
      const m = s.regex?.exec(part);
      if (m == null || s.names === undefined) return undefined;
      s.names.forEach((name, k) => {
        params[name] = m[k + 1];
      });
    }
  }
  return params;
}
