// One JSON line per request, in ECS field names. The line is concatenated directly rather than built as a
// nested object and handed to logger.info(), which would copy it for the ECS formatter and run its generic
// serializer over every branch: about four times the cost (bench/observability.bench.ts). The keys are fixed
// and the record holds no headers, cookies or query strings, so the line skips the logger's redaction scan.
// It still starts with the logger's own level, timestamp and bindings so it sits among ordinary log lines.
//
// Access lines are written whatever the logger's level is: `log.accessLog` alone switches them on or off,
// as nginx's access_log is independent of its error_log level.
import { pino } from "pino";
import { type Logger, onLoggerFlush } from "./logger.ts";

export interface AccessRecord {
  requestId: string;
  method: string;
  /** Host without port, lower case. */
  host: string;
  /** Normalized path WITHOUT the query string: query strings can carry keys and tokens. */
  path: string;
  /** "HTTP/1.1" | "HTTP/2.0" */
  protocol: string;
  clientIp: string;
  userAgent?: string;
  route?: string;
  upstream?: string;
  /** host:port of the upstream target that answered. */
  target?: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  upstreamDurationMs?: number;
  /** "-" when none, else a response flag such as NR, UF, UT, UC, UPE, DC. */
  flag: string;
  errorCode?: string;
  /** Tries made again after failures (route retry policy), when any. */
  retries?: number | undefined;
  /** The authenticated identity: consumer name (or token subject), consumer id, and how it was proven. */
  user?: { name: string; id: string | undefined; method: string } | undefined;
}

export type AccessLogFn = (r: AccessRecord) => void;

/** What createAccessLogger returns when access logs are off; compare against it to skip building records. */
export const noopAccessLog: AccessLogFn = () => {};

const ACCESS_LEVEL = 30; // info
const BATCH_CHARS = 16 * 1024;
const BATCH_MS = 1_000;
const sym = pino.symbols;

interface Destination {
  write(s: string): unknown;
  lastLevel?: number;
  /** sonic-boom's mode; absent on plain writable streams (tests), which get every line at once. */
  sync?: boolean;
}

const EVENT_HEAD =
  ',"event":{"kind":"event","category":["web"],"type":["access"],"dataset":"portcullis.access"';

export function createAccessLogger(logger: Logger, enabled: boolean): AccessLogFn {
  if (!enabled) return noopAccessLog;
  // pino.symbols is pino's published hook for integrations; these four give the line the same envelope
  // (level, timestamp, bindings, message key) as logger.info() would.
  const internals = logger as unknown as Record<symbol, unknown>;
  const head = (internals[sym.lsCacheSym] as Record<number, string>)[ACCESS_LEVEL];
  const time = internals[sym.timeSym] as () => string;
  const bindings = internals[sym.chindingsSym] as string;
  const stream = internals[sym.streamSym] as Destination & Record<symbol, unknown>;
  const messageKey = `,${JSON.stringify(internals[sym.messageKeySym])}:`;
  // pino.multistream routes by the level of the last line; tell it this one is info.
  const needsLevel = stream[sym.needsMetadataGsym] === true;
  const line = (r: AccessRecord): string => {
    const path = stripQuery(r.path);
    const message = JSON.stringify(`${r.method} ${path} ${r.status}`);
    return `${head}${time()}${bindings}${formatAccessFields(r, path)}${messageKey}${message}}\n`;
  };
  // An asynchronous (buffered) destination gets access lines in batches of BATCH_CHARS. sonic-boom
  // measures the byte length of its whole pending buffer on every write() call and each of its writes
  // is a thread-pool round trip (about 16 µs of CPU here), so one write() per line cost several µs a
  // line. Batches leave at least every BATCH_MS and on flushLogger().
  if (stream.sync === false) {
    let pending: string[] = [];
    let chars = 0;
    const flush = () => {
      if (pending.length === 0) return;
      // join() builds one flat string; `+=` would leave a deep rope for the write to flatten.
      const text = pending.join("");
      pending = [];
      chars = 0;
      if (needsLevel) stream.lastLevel = ACCESS_LEVEL;
      stream.write(text);
    };
    setInterval(flush, BATCH_MS).unref();
    onLoggerFlush(logger, flush);
    return (r) => {
      const l = line(r);
      pending.push(l);
      chars += l.length;
      if (chars >= BATCH_CHARS) flush();
    };
  }
  return (r) => {
    if (needsLevel) stream.lastLevel = ACCESS_LEVEL;
    stream.write(line(r));
  };
}

/** The ECS body of an access line: `,"event":{...},"http":{...},...` (leading comma, no braces around). */
function formatAccessFields(r: AccessRecord, path: string): string {
  const status = r.status;
  const id = JSON.stringify(r.requestId);
  let s = `${EVENT_HEAD},"outcome":"${status >= 500 ? "failure" : "success"}","duration":${Math.round(finite(r.durationMs) * 1e6)}}`;
  s += `,"http":{"version":${httpVersion(r.protocol)},"request":{"id":${id},"method":${JSON.stringify(r.method)},"body":{"bytes":${finite(r.bytesIn)}}},"response":{"status_code":${finite(status)},"body":{"bytes":${finite(r.bytesOut)}}}}`;
  s += `,"url":{"domain":${JSON.stringify(r.host)},"path":${JSON.stringify(path)}}`;
  s += `,"client":{"ip":${JSON.stringify(r.clientIp)}}`;
  if (r.userAgent !== undefined) s += `,"user_agent":{"original":${JSON.stringify(r.userAgent)}}`;
  if (r.user !== undefined) {
    s += `,"user":{"name":${JSON.stringify(r.user.name)}`;
    if (r.user.id !== undefined) s += `,"id":${JSON.stringify(r.user.id)}`;
    s += "}";
  }
  s += `,"transaction":{"id":${id}}`;
  s += `,"portcullis":{"flag":${JSON.stringify(r.flag || "-")}`;
  if (r.route !== undefined) s += `,"route":${JSON.stringify(r.route)}`;
  if (r.upstream !== undefined) s += `,"upstream":${JSON.stringify(r.upstream)}`;
  if (r.target !== undefined) s += `,"target":${JSON.stringify(r.target)}`;
  if (r.upstreamDurationMs !== undefined)
    s += `,"upstream_duration_ms":${Math.round(finite(r.upstreamDurationMs) * 1000) / 1000}`;
  if (r.errorCode !== undefined) s += `,"error_code":${JSON.stringify(r.errorCode)}`;
  if (r.retries) s += `,"retries":${finite(r.retries)}`;
  if (r.user !== undefined) s += `,"auth_method":${JSON.stringify(r.user.method)}`;
  return `${s}}`;
}

/** The caller should already pass a bare path; this is the last line of defence for credentials in URLs. */
function stripQuery(path: string): string {
  const q = path.indexOf("?");
  const f = path.indexOf("#");
  const cut = q === -1 ? f : f === -1 ? q : Math.min(q, f);
  return cut === -1 ? path : path.slice(0, cut);
}

/** ECS http.version is the bare number ("1.1", "2.0"), returned here already quoted. */
function httpVersion(protocol: string): string {
  if (protocol === "HTTP/1.1") return '"1.1"';
  if (protocol === "HTTP/2.0") return '"2.0"';
  return JSON.stringify(protocol.startsWith("HTTP/") ? protocol.slice(5) : protocol);
}

function finite(n: number): number {
  return Number.isFinite(n) ? n : 0;
}
