// The gateway's one logger. ECS JSON by default so lines go to Elasticsearch/Kibana as they are; plain pino
// JSON as an option. Secrets are censored here, once for every line, so no caller has to remember to.
import { hostname } from "node:os";
import { ecsFormat } from "@elastic/ecs-pino-format";
import {
  type DestinationStream,
  type Logger as PinoLogger,
  type LoggerOptions as PinoOptions,
  pino,
} from "pino";

export type Logger = PinoLogger;
export type LogFormat = "ecs" | "pino";

export interface LoggerOptions {
  /** fatal | error | warn | info | debug | trace | silent */
  level: string;
  /** Default "ecs". */
  format?: LogFormat;
  /** File descriptor (default 1 = stdout), file path, or any writable stream (tests). */
  destination?: number | string | NodeJS.WritableStream;
  /** Write each line synchronously (tests, short-lived CLI commands). Default false: buffered. */
  sync?: boolean;
}

/**
 * Bytes buffered before an asynchronous write. Each write is a round trip through libuv's thread pool
 * (about 16 µs of CPU here, whatever its size). Access lines arrive in their own 16 KiB batches
 * (access-log.ts); this bounds the gateway's other lines. A periodic flush bounds how long a line waits
 * when traffic is light; sonic-boom wants maxWrite above minLength and above the access batches.
 */
const BUFFER_BYTES = 4 * 1024;
const MAX_WRITE = 64 * 1024;
const FLUSH_MS = 1_000;

export const REDACT_CENSOR = "[redacted]";

/**
 * Keys whose values are credentials wherever they appear in a record: request/response header names
 * (matched in any case) and credential fields that show up in token responses and config objects.
 */
export const SECRET_KEYS: readonly string[] = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "api-key",
  "apikey",
  "api_key",
  "x-auth-token",
  "x-access-token",
  "x-amz-security-token",
  "x-goog-api-key",
  "password",
  "client_secret",
  "access_token",
  "refresh_token",
  "id_token",
];

// Redaction runs on the finished line rather than through pino's `redact` paths. pino has no "any depth"
// wildcard, and its wildcard paths are slow: `*.headers.x` and `*.*.headers.x` for these names made a line
// with a few nested objects cost about 100 us, against well under 1 us for this one scan (bench/).
// It censors a JSON string, an array of strings, or a flat object of strings under a secret key at any
// depth. Text inside another string (a message quoting JSON) is not looked into.
const JSON_STRING = String.raw`"(?:[^"\\]|\\.)*"`;
const SECRET_VALUE = new RegExp(
  String.raw`"(${SECRET_KEYS.join("|")})":(?:${JSON_STRING}|\[(?:${JSON_STRING},?)*\]|\{(?:${JSON_STRING}:${JSON_STRING},?)*\})`,
  "gi",
);
const CENSORED = `"$1":${JSON.stringify(REDACT_CENSOR)}`;

/** Censors secret values in one serialized log line. */
export function redactLine(line: string): string {
  return line.replace(SECRET_VALUE, CENSORED);
}

let lastMs = 0;
let lastStamp = "";
/**
 * ecs-pino-format's timestamp runs `new Date().toISOString()` per line (about half a microsecond, a quarter
 * of an access line's cost); lines written within the same millisecond share one string instead.
 */
function ecsTimestamp(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastStamp = `,"@timestamp":"${new Date(now).toISOString()}"`;
  }
  return lastStamp;
}

export function createLogger(opts: LoggerOptions): Logger {
  const format = opts.format ?? "ecs";
  const base =
    format === "ecs"
      ? // service.name without ecsFormat's serviceName option: that would also stamp event.dataset on every
        // line, which the access log sets to its own dataset.
        { pid: process.pid, hostname: hostname(), "service.name": "portcullis" }
      : { pid: process.pid, hostname: hostname(), name: "portcullis" };
  const options: PinoOptions = {
    ...(format === "ecs" ? { ...ecsFormat({ convertErr: true }), timestamp: ecsTimestamp } : {}),
    level: opts.level,
    base,
    hooks: { streamWrite: redactLine },
  };
  return pino(options, destinationFor(opts));
}

function destinationFor(opts: LoggerOptions): DestinationStream {
  const dest = opts.destination ?? 1;
  if (typeof dest === "object") return dest as DestinationStream;
  const sync = opts.sync ?? false;
  // pino registers an exit hook that flushes an asynchronous destination on normal process exit.
  return pino.destination({
    dest,
    sync,
    minLength: sync ? 0 : BUFFER_BYTES,
    maxWrite: MAX_WRITE,
    ...(sync ? {} : { periodicFlush: FLUSH_MS }),
    mkdir: typeof dest === "string",
  });
}

/**
 * Write out whatever the buffered destination still holds; call on shutdown before exiting. pino follows the
 * write with fsync(2), which pipes, terminals and /dev/null refuse with EINVAL: the lines are out by then.
 */
const flushHooks = new WeakMap<Logger, (() => void)[]>();

/** Registers work to do before the logger's destination is flushed (e.g. a batch of access lines). */
export function onLoggerFlush(logger: Logger, hook: () => void): void {
  const hooks = flushHooks.get(logger);
  if (hooks) hooks.push(hook);
  else flushHooks.set(logger, [hook]);
}

export function flushLogger(logger: Logger): Promise<void> {
  for (const hook of flushHooks.get(logger) ?? []) hook();
  return new Promise((resolve, reject) => {
    logger.flush((err?: Error) => {
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      if (err && code !== "EINVAL" && code !== "ENOTSUP" && code !== "EROFS") reject(err);
      else resolve();
    });
  });
}
