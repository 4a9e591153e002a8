// CORS headers on actual (non-preflight) responses, upstream's and the gateway's own alike. On a route
// with this policy the gateway is the only CORS authority: upstream copies of these headers are replaced.
import type { HeaderBag, RequestView, ResponseView } from "../../pipeline/types.ts";
import type { CompiledCors } from "./compile.ts";
import { isPreflight } from "./preflight.ts";

const OWNED = [
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-expose-headers",
];
// Exposed to scripts anyway (CORS-safelisted) or never (forbidden response header names).
const NOT_LISTED = new Set([
  "cache-control",
  "content-language",
  "content-length",
  "content-type",
  "expires",
  "last-modified",
  "pragma",
  "set-cookie",
  "set-cookie2",
]);

function dropOwned(headers: HeaderBag): void {
  for (const name of OWNED) if (headers[name] !== undefined) delete headers[name];
}

/** Adds `token` to Vary once, keeping what is there; "Vary: *" already covers everything. */
function appendVary(headers: HeaderBag, token: string): void {
  const current = headers.vary;
  if (current === undefined) {
    headers.vary = token;
    return;
  }
  const list = typeof current === "string" ? current : current.join(", ");
  const wanted = token.toLowerCase();
  for (const part of list.split(",")) {
    const t = part.trim().toLowerCase();
    if (t === "*" || t === wanted) return;
  }
  headers.vary = list.trim() === "" ? token : `${list}, ${token}`;
}

function exposableNames(headers: HeaderBag, listed: readonly string[]): string | undefined {
  const out = new Set(listed);
  for (const name of Object.keys(headers)) {
    if (headers[name] === undefined || NOT_LISTED.has(name) || name.startsWith("access-control-")) continue;
    out.add(name);
  }
  return out.size > 0 ? [...out].join(", ") : undefined;
}

export function decorateResponse(cors: CompiledCors, req: RequestView, res: ResponseView): void {
  if (isPreflight(req)) return; // answered whole by answerPreflight
  const out = res.headers;

  if (cors.origins === "*") {
    // A constant "*" goes on every response, Origin or not, so caches can share it without Vary
    // (the Fetch standard's advice for "CORS protocol and HTTP caches").
    dropOwned(out);
    out["access-control-allow-origin"] = "*";
    if (cors.exposeValue !== undefined) out["access-control-expose-headers"] = cors.exposeValue;
    return;
  }

  appendVary(out, "Origin");
  const origin = req.headers.origin;
  if (origin === undefined) return;
  dropOwned(out);
  if (typeof origin !== "string" || !cors.origins(origin)) return;
  out["access-control-allow-origin"] = origin;
  if (cors.credentials) out["access-control-allow-credentials"] = "true";
  const expose = cors.exposeAll ? exposableNames(out, cors.exposeNames) : cors.exposeValue;
  if (expose !== undefined) out["access-control-expose-headers"] = expose;
}
