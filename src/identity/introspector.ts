// Opaque-token validation through the provider's introspection endpoint (RFC 7662), with openid-client
// doing the protocol (client authentication, response checks) over our fetch (private CA, timeout,
// URL policy). Answers are cached by the token's SHA-256, never the token itself.
import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import {
  allowInsecureRequests,
  ClientError,
  ClientSecretBasic,
  ClientSecretPost,
  Configuration,
  customFetch,
  type IntrospectionResponse,
  ResponseBodyError,
  tokenIntrospection,
  WWWAuthenticateChallengeError,
} from "openid-client";
import { discover } from "./discovery.ts";
import { checkProviderUrl, describeFetchError, ProviderHttp } from "./http.ts";
import { invalidToken, providerUnavailable, type TokenRejection } from "./result.ts";

export type IntrospectResult = { ok: true; claims: IntrospectionResponse } | TokenRejection;

export interface IntrospectorSettings {
  endpoint?: string;
  /** Used to discover introspection_endpoint when endpoint is not given. */
  issuer?: string;
  clientId: string;
  clientSecret: string;
  authMethod?: "client_secret_basic" | "client_secret_post";
  timeoutMs: number;
  cacheMaxMs?: number;
  ca?: string;
  /** When set, an active token must name one of these in aud. */
  audiences?: string[];
  cacheSize?: number;
  /** Minimum pause between discovery attempts after a failure (default 1 s). */
  discoveryRetryMs?: number;
  onEvent?: (e: IntrospectorEvent) => void;
}

export type IntrospectorEvent = { kind: "introspection-failed"; reason: string };

/** Garbage floods are answered from the cache for this long, whatever cacheMaxMs says. */
const INACTIVE_CACHE_MS = 5_000;
const MAX_TOKEN_LENGTH = 16 * 1024;
/** Provider calls in flight at once; more new tokens at the same time get 503 instead of a queue. */
const MAX_IN_FLIGHT = 256;

interface Entry {
  result: IntrospectResult;
  /** ms epoch after which the token is asked about again: never past its exp. */
  until: number;
}

export class Introspector {
  readonly #settings: IntrospectorSettings;
  readonly #cacheMaxMs: number;
  readonly #cache: LRUCache<string, Entry>;
  readonly #inactive: LRUCache<string, IntrospectResult>;
  readonly #pending = new Map<string, Promise<IntrospectResult>>();
  #http: ProviderHttp | undefined;
  #config: Configuration | undefined;
  #configuring: Promise<Configuration> | undefined;
  #configFailure: { at: number; error: unknown } | undefined;
  #calls = 0;

  constructor(settings: IntrospectorSettings) {
    if (!settings.endpoint && !settings.issuer) throw new Error("introspection needs endpoint or issuer");
    if (settings.endpoint) checkProviderUrl(settings.endpoint, "introspection endpoint");
    if (settings.issuer) checkProviderUrl(settings.issuer, "issuer");
    if (!settings.clientId) throw new Error("introspection clientId is required");
    if (!settings.clientSecret) throw new Error("introspection clientSecret is required");
    if (!(settings.timeoutMs > 0)) throw new Error("introspection timeoutMs must be > 0");
    this.#settings = settings;
    this.#cacheMaxMs = settings.cacheMaxMs ?? 60_000;
    this.#cache = new LRUCache({ max: Math.max(1, settings.cacheSize ?? 10_000) });
    this.#inactive = new LRUCache({
      max: 10_000,
      ttl: Math.max(1, Math.min(INACTIVE_CACHE_MS, settings.cacheMaxMs ?? 60_000)),
    });
  }

  /** Introspection HTTP calls made (for tests and metrics). */
  get calls(): number {
    return this.#calls;
  }

  /** The endpoint in use, once known. */
  get endpoint(): string | undefined {
    return this.#config?.serverMetadata().introspection_endpoint;
  }

  /** Discovers the endpoint when needed; rejects with a clear Error (no secrets) on failure. */
  async start(): Promise<void> {
    await this.#configure(true);
  }

  close(): void {
    const http = this.#http;
    this.#http = undefined;
    this.#config = undefined;
    void http?.close().catch(() => {});
  }

  /** A cache hit answers synchronously. Never throws. */
  introspect(token: string): IntrospectResult | Promise<IntrospectResult> {
    if (typeof token !== "string" || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      return invalidToken("malformed token");
    }
    const key = createHash("sha256").update(token).digest("base64url");
    const hit = this.#cache.get(key);
    if (hit) {
      if (Date.now() < hit.until) return hit.result;
      this.#cache.delete(key);
    }
    const refused = this.#inactive.get(key);
    if (refused !== undefined) return refused;
    const pending = this.#pending.get(key);
    if (pending) return pending;
    // Each new token costs a provider call: past the cap, refuse rather than queue, so a flood of junk
    // tokens cannot make the provider throttle the gateway's client (which would fail every user).
    if (this.#pending.size >= MAX_IN_FLIGHT) return providerUnavailable("too many token checks in flight");
    const call = this.#introspectRemote(token, key).finally(() => this.#pending.delete(key));
    this.#pending.set(key, call);
    return call;
  }

  async #introspectRemote(token: string, key: string): Promise<IntrospectResult> {
    let config: Configuration;
    try {
      config = await this.#configure();
    } catch (err) {
      return this.#unavailable(err instanceof Error ? err.message : "discovery failed");
    }
    let response: IntrospectionResponse;
    try {
      this.#calls++;
      response = await tokenIntrospection(config, token);
    } catch (err) {
      return this.#unavailable(
        `introspection endpoint ${describeIntrospectionError(err, this.#settings.timeoutMs)}`,
      );
    }
    const now = Date.now();
    const result = this.#judge(response);
    if (result.ok) {
      const exp = typeof response.exp === "number" ? response.exp : undefined;
      let until = now + this.#cacheMaxMs;
      if (exp !== undefined) until = Math.min(until, exp * 1000);
      if (until > now) this.#cache.set(key, { result, until });
    } else if (this.#cacheMaxMs > 0) {
      // Refusals live in their own cache, so junk tokens cannot push valid ones out of the main one.
      this.#inactive.set(key, result);
    }
    return result;
  }

  // The provider's answer is authoritative when fresh; exp only bounds how long it is reused.
  #judge(response: IntrospectionResponse): IntrospectResult {
    if (response.active !== true) return invalidToken("token is not active");
    // oidc-provider (and others) introspect refresh tokens as active: only bearer access tokens pass.
    const type = response.token_type;
    if (type !== undefined && String(type).toLowerCase() !== "bearer")
      return invalidToken("not a bearer access token");
    // Sender-constrained tokens (DPoP, mTLS-bound) need a proof this gateway does not check.
    if (response.cnf !== undefined) return invalidToken("sender-constrained tokens are not supported");
    const wanted = this.#settings.audiences;
    if (wanted?.length) {
      const aud = response.aud;
      const has = Array.isArray(aud)
        ? aud.some((a) => wanted.includes(a))
        : typeof aud === "string" && wanted.includes(aud);
      if (!has) return invalidToken("wrong audience");
    }
    return { ok: true, claims: Object.freeze({ ...response }) };
  }

  #unavailable(reason: string): IntrospectResult {
    this.#settings.onEvent?.({ kind: "introspection-failed", reason });
    return providerUnavailable("identity provider unavailable");
  }

  /** Discovery is retried on demand, but not more than once per discoveryRetryMs (start() always tries). */
  #configure(force = false): Promise<Configuration> {
    if (this.#config) return Promise.resolve(this.#config);
    if (
      !force &&
      this.#configFailure &&
      Date.now() - this.#configFailure.at < (this.#settings.discoveryRetryMs ?? 1_000)
    ) {
      return Promise.reject(this.#configFailure.error);
    }
    this.#configuring ??= this.#build().then(
      (config) => {
        this.#config = config;
        this.#configuring = undefined;
        this.#configFailure = undefined;
        return config;
      },
      (err: unknown) => {
        this.#configuring = undefined;
        this.#configFailure = { at: Date.now(), error: err };
        throw err;
      },
    );
    return this.#configuring;
  }

  async #build(): Promise<Configuration> {
    const s = this.#settings;
    this.#http ??= new ProviderHttp({ ca: s.ca, timeoutMs: s.timeoutMs });
    const http = this.#http;
    let endpoint = s.endpoint;
    let issuer = s.issuer;
    if (!endpoint) {
      const meta = await discover(s.issuer!, http);
      endpoint = meta.introspection_endpoint;
      if (!endpoint) throw new Error(`discovery document for ${s.issuer} has no introspection_endpoint`);
    }
    const url = checkProviderUrl(endpoint, "introspection endpoint");
    issuer ??= url.origin;
    const auth =
      s.authMethod === "client_secret_post"
        ? ClientSecretPost(s.clientSecret)
        : ClientSecretBasic(s.clientSecret);
    const config = new Configuration(
      { issuer, introspection_endpoint: endpoint },
      s.clientId,
      undefined,
      auth,
    );
    config[customFetch] = http.fetch as NonNullable<Configuration[typeof customFetch]>;
    // checkProviderUrl admitted http only for loopback hosts.
    if (url.protocol === "http:") allowInsecureRequests(config);
    return config;
  }
}

/** Status codes and error codes only: provider error bodies may echo request parameters. */
function describeIntrospectionError(err: unknown, timeoutMs: number): string {
  if (err instanceof WWWAuthenticateChallengeError)
    return `refused the gateway's client credentials (HTTP ${err.status})`;
  if (err instanceof ResponseBodyError) {
    const code = /^[a-z_]{1,40}$/.test(err.error) ? err.error : "error";
    return `answered HTTP ${err.status} (${code})`;
  }
  if (err instanceof ClientError) {
    const cause = err.cause;
    if (cause instanceof Response || (typeof cause === "object" && cause !== null && "status" in cause)) {
      return `answered HTTP ${(cause as { status: number }).status}`;
    }
    if (err.code === "OAUTH_TIMEOUT") return `timed out after ${timeoutMs} ms`;
    if (cause !== undefined) return describeFetchError(cause, timeoutMs);
    return `gave an unusable answer (${err.code ?? "invalid response"})`;
  }
  return describeFetchError(err, timeoutMs);
}
