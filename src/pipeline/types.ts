// The policy contract. A policy is a folder under src/policies/<name>/ with a schema, a factory and tests.
// The factory runs once per plan (config compile) and returns hooks; nothing on the request path parses
// options or builds regexes.
import type { TSchema } from "typebox";
import type { ErrorCode } from "../errors/codes.ts";

/**
 * Phases, in the order they run. Route matching runs before all of them (the match picks the chain).
 * `edge` answers what must come before identity (CORS preflights carry no credentials). `validate` runs
 * after identity, not before it as in the seed's list: a gateway should not read and parse the bodies
 * of requests it is about to refuse, nor tell an anonymous client the shape of a protected API (Kong
 * orders its request-validator after authentication for the same reasons).
 */
export const PHASES = [
  "edge",
  "access",
  "authenticate",
  "authorize",
  "validate",
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
  /** RFC 9457 extension members added to the problem body (e.g. `errors`). */
  extensions?: Readonly<Record<string, unknown>>;
  /**
   * Answer with this reply and also send the request upstream in the background, as its own request
   * (stale-while-revalidate). Called with that request's view before it leaves, so the policy can set
   * its upstream headers; its response runs the route's response hooks, is logged, and is discarded.
   */
  background?: (req: RequestView) => void;
}

/** Thrown (or rejected) on the request path to answer with a local reply, e.g. by `readBody`. */
export class LocalReplyError extends Error {
  readonly reply: LocalReply;
  constructor(reply: LocalReply) {
    super(reply.detail ?? `local reply ${reply.status}`);
    this.reply = reply;
  }
}

/** A named identity from the config's `consumers` list. */
export interface Consumer {
  readonly name: string;
  /** Sent to upstreams and used as a rate-limit key; defaults to the name. */
  readonly id: string;
  readonly groups: readonly string[];
  /** Per-consumer settings for other policies, keyed by policy name (e.g. a rate limit override). */
  readonly settings: Readonly<Record<string, unknown>>;
}

/** Who the request is from, set by the `authenticate` policy. */
export interface Identity {
  /** The method that authenticated the request: apiKey, basic, jwt, introspection or mtls. */
  readonly method: string;
  /** Token `sub`, Basic user name, consumer name or certificate subject. */
  readonly subject: string;
  /** Set when a consumer matched the credential (always for apiKey and basic). */
  readonly consumer: Consumer | undefined;
  /** Token or introspection claims; empty for apiKey, basic and mtls. */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly scopes: ReadonlySet<string>;
  /** Consumer groups plus the token's groups claim. */
  readonly groups: ReadonlySet<string>;
}

/** The client certificate of a TLS connection whose listener asks for one. */
export interface ClientCertificate {
  /** True when the chain verified against the listener's client CA. */
  readonly authorized: boolean;
  /** RFC 4514-style subject, e.g. "CN=svc-a,O=Example". */
  readonly subject: string;
  /** subjectAltName entries without their type prefix (DNS names, URIs, emails, IPs). */
  readonly sans: readonly string[];
  readonly fingerprint256: string;
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
  /** Set by authentication; undefined for anonymous requests. */
  identity: Identity | undefined;
  /** The verified client certificate, when the listener asks for one and the client sent it. */
  readonly clientCertificate: ClientCertificate | undefined;
  /**
   * Reads the whole request body (empty when there is none) and keeps it to send upstream. Rejects with
   * a LocalReplyError (413 past `limit` or the listener's limit, 408 when it stalls). Reading twice
   * returns the same buffer.
   */
  readBody(limit?: number): Promise<Buffer>;
  /**
   * Asks for a copy of the upstream's response: status, headers as the upstream sent them (hop-by-hop
   * ones removed, before any response policy changed them) and the whole body. `done` is called exactly
   * once: with the copy when the body ended and was at most `maxBytes`, or with undefined when it was
   * larger (it streamed through, never buffered whole), failed, or no upstream answered (a local reply).
   * Call it from onRequest. For the response cache.
   */
  captureResponse(maxBytes: number, done: (response: CapturedResponse | undefined) => void): void;
}

export interface CapturedResponse {
  readonly status: number;
  readonly headers: HeaderBag;
  readonly body: Buffer;
}

/** What a policy sees of the response before its head is written. */
export interface ResponseView {
  status: number;
  /** Headers that will be sent to the client; policies may change them. */
  readonly headers: HeaderBag;
  /** True when the gateway made this response (local reply or error), false when it came from upstream. */
  readonly local: boolean;
  /**
   * Set by a response policy to send this body instead of the one that was coming (the upstream's is
   * read and dropped; a local reply's is replaced); Content-Length then comes from it. The policy sets
   * status and headers to match. For the response cache: a 304 turned into the stored response, a stored
   * response served when the upstream failed.
   */
  body?: Buffer;
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
  /** The route's name for a route's policy; undefined for a global one. */
  readonly route?: string;
  readonly services: PolicyServices;
}

/** Something that holds timers or sockets and is closed when no plan uses it any more. */
export interface Closable {
  close(): void;
}

/** What the gateway lends a policy factory. */
export interface PolicyServices {
  /** The config's consumers, looked up by credential. */
  readonly consumers: ConsumerDirectory;
  /**
   * One object per key for every plan that asks for it (e.g. a JWKS per URI), so its cache and timers
   * outlive reloads; closed when the last plan using it is released.
   */
  shared<T extends Closable>(key: string, create: () => T): T;
  /**
   * Work that must finish before the gateway reports ready on this plan, or before a reload swaps to
   * it (fetching signing keys). Bounded by the gateway; a failure is logged and does not block.
   * Registered right after a `shared()` call, it belongs to that object: it runs once for every plan
   * sharing it (again only if it failed).
   */
  warmUp(name: string, task: () => Promise<void>): void;
  /** Structured events for the gateway log (never secrets). */
  log(level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>): void;
  /** Counts an event in `portcullis_policy_events_total{policy, event}`. */
  count(policy: string, event: string): void;
  /** The config's top-level `redis` section, for policies with shared state (rate limits, cache). */
  readonly redis: RedisSettings | undefined;
}

export interface RedisSettings {
  /** redis://[user:password@]host:port[/db], or rediss:// for TLS. */
  readonly url?: string;
  readonly sentinels?: readonly { readonly host: string; readonly port: number }[];
  /** The Sentinel master name. */
  readonly name?: string;
  readonly cluster?: readonly { readonly host: string; readonly port: number }[];
  readonly password?: string;
  /** Prepended to every key (default "portcullis:"). */
  readonly prefix?: string;
  /** No request waits on Redis longer than this (default 50). */
  readonly timeoutMs?: number;
}

export type BasicResult = Consumer | undefined | "busy";

export interface ConsumerDirectory {
  readonly size: number;
  byName(name: string): Consumer | undefined;
  /** A consumer whose API key hashes to this value (SHA-256, see src/consumers/hash.ts). */
  byApiKey(key: string): Consumer | undefined;
  /**
   * Resolves the consumer when the user exists and the password verifies (scrypt, cached); "busy" when
   * too many password checks are already running (the caller answers 503).
   */
  verifyBasic(username: string, password: string): BasicResult | Promise<BasicResult>;
  /** A consumer mapped from a token's issuer and subject (`credentials.jwt`). */
  bySubject(issuer: string, subject: string): Consumer | undefined;
  /** A consumer mapped from a client certificate's subject or SAN (`credentials.mtls`). */
  byCertificate(cert: ClientCertificate): Consumer | undefined;
  /** Every consumer, in config order (for policies that check their settings at load). */
  all(): readonly Consumer[];
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
