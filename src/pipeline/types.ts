// The policy contract. A policy is a folder under src/policies/<name>/ with a schema, a factory and tests.
// The factory runs once per plan (config compile) and returns hooks; nothing on the request path parses
// options or builds regexes.
import type { TSchema } from "typebox";
import type { ErrorCode } from "../errors/codes.ts";

/**
 * Phases in the seed's order. Route matching runs before all of them (the match picks the chain).
 * `edge` answers what must come before identity (CORS preflights carry no credentials).
 */
export const PHASES = [
  "edge",
  "validate",
  "access",
  "authenticate",
  "authorize",
  "rateLimit",
  "cache",
  "transform",
] as const;
export type Phase = (typeof PHASES)[number];

export type HeaderValue = string | string[];
export type HeaderBag = Record<string, HeaderValue | undefined>;

/** A reply made by the gateway itself, returned (not thrown) by a policy to stop the chain. */
export interface LocalReply {
  status: number;
  headers?: HeaderBag;
  body?: string | Buffer;
  /** When set, the body is an RFC 9457 problem for this registry code. */
  code?: ErrorCode;
  detail?: string;
}

/** What a policy sees of the request. Header names are lower case. */
export interface RequestView {
  readonly id: string;
  readonly method: string;
  /** Host without port, lower case. */
  readonly host: string;
  /** The normalized path: what was matched (before rewrite). */
  readonly path: string;
  /** Raw query string without '?', or "". */
  readonly query: string;
  readonly clientIp: string;
  readonly protocol: "http" | "https";
  readonly httpVersion: string;
  /** The client's request headers as received (read-only). */
  readonly headers: Readonly<HeaderBag>;
  readonly routeName: string;
  readonly params: Readonly<Record<string, string>>;
  /** Headers that will be sent upstream; policies may change them. */
  readonly upstreamHeaders: HeaderBag;
}

/** What a policy sees of the response before its head is written. */
export interface ResponseView {
  status: number;
  /** Headers that will be sent to the client; policies may change them. */
  readonly headers: HeaderBag;
  /** True when the gateway made this response (local reply or error), false when it came from upstream. */
  readonly local: boolean;
}

export interface PolicyHooks {
  /** Return nothing to continue, or a LocalReply to answer now. Only faults throw. */
  onRequest?(req: RequestView): LocalReply | undefined | Promise<LocalReply | undefined>;
  /** Runs in reverse phase order before the response head goes to the client; synchronous by design. */
  onResponse?(req: RequestView, res: ResponseView): void;
}

export interface PolicyContext {
  /** Where the options sit in the config, e.g. "/routes/3/policies/cors", for error messages. */
  readonly path: string;
}

export interface PolicyDefinition<Options = unknown> {
  readonly name: string;
  readonly phase: Phase;
  /** Order within a phase: higher runs first on the request and last on the response. */
  readonly priority: number;
  readonly schema: TSchema;
  /** Validates semantics the schema cannot express (throw PolicyConfigError) and precompiles. */
  create(options: Options, ctx: PolicyContext): PolicyHooks;
}

/** A semantic config error raised by a policy factory; reported with its config path and line. */
export class PolicyConfigError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}
