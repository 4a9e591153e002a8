// What can be known of a request body without reading it, and turning a read body into a JSON value.
import type { RequestView } from "../../pipeline/types.ts";

/**
 * "none" and "some" come from the HTTP/1 framing headers (the server has already refused conflicting
 * ones). An HTTP/2 request may carry a body without announcing its length: "unknown" until it is read.
 */
export type Presence = "none" | "some" | "unknown";

export function bodyPresence(req: RequestView): Presence {
  const length = req.headers["content-length"];
  if (typeof length === "string") return length === "0" ? "none" : "some";
  if (req.headers["transfer-encoding"] !== undefined) return "some";
  return req.httpVersion.startsWith("1") ? "none" : "unknown";
}

/** The announced Content-Length, when there is one. */
export function declaredLength(req: RequestView): number | undefined {
  const length = req.headers["content-length"];
  return typeof length === "string" ? Number(length) : undefined;
}

export type Parsed = { ok: true; value: unknown } | { ok: false; detail: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses a JSON body. The reason given on failure says where, never what: V8's messages quote the text
 * around the error, and a body may hold secrets.
 */
export function parseJsonBody(body: Buffer): Parsed {
  let text: string;
  try {
    // fatal: bytes that are not UTF-8 are an error, not U+FFFD; a leading BOM is dropped.
    text = utf8.decode(body);
  } catch {
    return { ok: false, detail: "is not valid UTF-8 (JSON must be UTF-8)" };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const message = (err as Error).message;
    const where = /line (\d+) column (\d+)/.exec(message);
    if (where !== null)
      return { ok: false, detail: `is not valid JSON (line ${where[1]}, column ${where[2]})` };
    const at = /at position (\d+)/.exec(message);
    if (at !== null) return { ok: false, detail: `is not valid JSON (at character ${Number(at[1]) + 1})` };
    if (/end of JSON input/.test(message))
      return { ok: false, detail: "is not valid JSON (it ends too early)" };
    return { ok: false, detail: "is not valid JSON" };
  }
}
