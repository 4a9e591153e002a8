// A provider's signing keys (JWKS), held in memory and refreshed in the background.
//
// Not jose's createRemoteJWKSet: its cooldown counts from the last *successful* fetch, so while the
// provider is down every unknown kid would trigger a fetch, and its keys expire with cacheMaxAge.
// Here the cooldown counts from the last attempt, whatever its outcome, and keys are only ever
// replaced by a successful fetch.
import {
  createLocalJWKSet,
  errors,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type LocalJWKSet,
} from "jose";
import { discover, type ProviderMetadata } from "./discovery.ts";
import { checkProviderUrl, ProviderHttp, safeUrl } from "./http.ts";

export type KeySetEvent =
  | { kind: "fetched"; url: string; keys: number }
  | { kind: "rotated"; url: string; keys: number; added: string[]; removed: string[] }
  | { kind: "fetch-failed"; reason: string; background: boolean };

export interface KeySetOptions {
  jwksUri?: string;
  issuer?: string;
  cooldownMs: number;
  refreshMs: number;
  fetchTimeoutMs: number;
  ca?: string;
  onEvent?: (e: KeySetEvent) => void;
}

/** Why no key could be produced for a token header: the token's fault (401) or the provider's (503). */
export class KeyLookupError extends Error {
  readonly status: 401 | 503;
  constructor(status: 401 | 503, message: string) {
    super(message);
    this.name = "KeyLookupError";
    this.status = status;
  }
}

type Outcome = "fetched" | "failed" | "cooling";

export class KeySet {
  readonly #opts: KeySetOptions;
  #http: ProviderHttp | undefined;
  #metadata: ProviderMetadata | undefined;
  #local: LocalJWKSet | undefined;
  #kids = new Set<string>();
  #fingerprint = "";
  #version = 0;
  #fetches = 0;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;
  #lastOk = false;
  #lastError = "no fetch attempted yet";
  #inflight: Promise<boolean> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: KeySetOptions) {
    if (!opts.jwksUri && !opts.issuer) throw new Error("a key set needs jwksUri or issuer");
    if (opts.jwksUri) checkProviderUrl(opts.jwksUri, "jwksUri");
    if (opts.issuer) checkProviderUrl(opts.issuer, "issuer");
    for (const k of ["cooldownMs", "refreshMs", "fetchTimeoutMs"] as const) {
      if (!Number.isFinite(opts[k]) || opts[k] < 0) throw new Error(`${k} must be a non-negative number`);
    }
    if (opts.refreshMs === 0 || opts.fetchTimeoutMs === 0)
      throw new Error("refreshMs and fetchTimeoutMs must be > 0");
    this.#opts = opts;
  }

  /** Discovery metadata, once fetched (only when built from an issuer). */
  get metadata(): ProviderMetadata | undefined {
    return this.#metadata;
  }

  /** Number of JWKS HTTP fetches attempted. */
  get fetches(): number {
    return this.#fetches;
  }

  /** Changes whenever the held key set changes; verifiers drop their caches on a change. */
  get version(): number {
    return this.#version;
  }

  /** True once keys are held. */
  get ready(): boolean {
    return this.#local !== undefined;
  }

  /** Key ids currently held. */
  get kids(): ReadonlySet<string> {
    return this.#kids;
  }

  async start(): Promise<void> {
    this.#closed = false;
    this.#schedule();
    if (this.#local) return;
    const ok = await this.#refresh(false);
    if (!ok) throw new Error(`cannot load signing keys: ${this.#lastError}`);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const http = this.#http;
    this.#http = undefined;
    void http?.close().catch(() => {});
  }

  /**
   * The verification keys for a token header: usually one; several when the token names no kid and
   * more than one held key fits its alg. An unknown kid refetches the set, at most once per cooldown.
   */
  async keysFor(header: JWSHeaderParameters): Promise<CryptoKey[]> {
    if (!this.#local) {
      await this.#refreshOnDemand();
      if (!this.#local) throw new KeyLookupError(503, "identity provider keys unavailable");
    }
    const first = await this.#select(header);
    if (first) return first;
    if (typeof header.kid === "string" && this.#kids.has(header.kid)) {
      // The kid is known but its key does not fit the alg: a confusion attempt, not a rotation.
      throw new KeyLookupError(401, "signing key does not match the algorithm");
    }
    const outcome = await this.#refreshOnDemand();
    if (outcome === "failed" || (outcome === "cooling" && !this.#lastOk)) {
      throw new KeyLookupError(503, "identity provider keys unavailable");
    }
    if (outcome === "cooling") throw new KeyLookupError(401, "unknown signing key");
    const second = await this.#select(header);
    if (second) return second;
    throw new KeyLookupError(401, "unknown signing key");
  }

  async #select(header: JWSHeaderParameters): Promise<CryptoKey[] | undefined> {
    const local = this.#local!;
    try {
      return [await local(header)];
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey) return undefined;
      if (err instanceof errors.JWKSMultipleMatchingKeys) {
        const keys: CryptoKey[] = [];
        for await (const k of err as unknown as AsyncIterable<CryptoKey>) keys.push(k);
        if (keys.length) return keys;
        return undefined;
      }
      throw new KeyLookupError(401, "signing key not usable for this token");
    }
  }

  #refreshOnDemand(): Promise<Outcome> {
    if (this.#inflight) return this.#inflight.then((ok) => (ok ? "fetched" : "failed"));
    if (Date.now() - this.#lastAttemptAt < this.#opts.cooldownMs) return Promise.resolve("cooling");
    return this.#refresh(false).then((ok) => (ok ? "fetched" : "failed"));
  }

  /** One fetch at a time; concurrent callers share it. Never rejects. */
  #refresh(background: boolean): Promise<boolean> {
    if (this.#inflight) return this.#inflight;
    this.#lastAttemptAt = Date.now();
    const run = this.#fetchAndInstall().then(
      () => {
        this.#lastOk = true;
        return true;
      },
      (err: unknown) => {
        this.#lastOk = false;
        this.#lastError = err instanceof Error ? err.message : "unknown error";
        if (!this.#closed)
          this.#opts.onEvent?.({ kind: "fetch-failed", reason: this.#lastError, background });
        return false;
      },
    );
    this.#inflight = run.finally(() => {
      this.#inflight = undefined;
      this.#lastAttemptAt = Date.now();
    });
    return this.#inflight;
  }

  async #fetchAndInstall(): Promise<void> {
    this.#http ??= new ProviderHttp({ ca: this.#opts.ca, timeoutMs: this.#opts.fetchTimeoutMs });
    const http = this.#http;
    let uri = this.#opts.jwksUri;
    if (!uri) {
      this.#metadata ??= await discover(this.#opts.issuer!, http);
      uri = this.#metadata.jwks_uri;
      if (!uri) throw new Error(`discovery document for ${this.#opts.issuer} has no jwks_uri`);
    }
    this.#fetches++;
    const doc = await http.getJson(uri, "JWKS");
    const jwks = usableKeySet(doc, uri);
    const local = createLocalJWKSet(jwks);
    const fingerprint = JSON.stringify(jwks.keys);
    const kids = new Set(jwks.keys.map((k) => k.kid).filter((k): k is string => typeof k === "string"));
    const url = safeUrl(uri);
    const firstLoad = this.#local === undefined;
    const changed = fingerprint !== this.#fingerprint;
    this.#local = local;
    if (!changed) return;
    const added = [...kids].filter((k) => !this.#kids.has(k));
    const removed = [...this.#kids].filter((k) => !kids.has(k));
    this.#fingerprint = fingerprint;
    this.#kids = kids;
    this.#version++;
    if (firstLoad || (added.length === 0 && removed.length === 0)) {
      this.#opts.onEvent?.({ kind: "fetched", url, keys: jwks.keys.length });
    } else {
      this.#opts.onEvent?.({ kind: "rotated", url, keys: jwks.keys.length, added, removed });
    }
  }

  #schedule(): void {
    if (this.#timer || this.#closed) return;
    // ±10% jitter so a fleet of gateways does not refetch in lockstep.
    const delay = this.#opts.refreshMs * (0.9 + Math.random() * 0.2);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      void this.#refresh(true).finally(() => this.#schedule());
    }, delay);
    this.#timer.unref();
  }
}

/** Keeps the signature keys; an empty or malformed set is a failed fetch (the old keys stay). */
function usableKeySet(doc: unknown, uri: string): JSONWebKeySet {
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error(`JWKS ${safeUrl(uri)}: no "keys" array`);
  const sig = keys.filter(
    (k): k is JSONWebKeySet["keys"][number] =>
      typeof k === "object" &&
      k !== null &&
      typeof k.kty === "string" &&
      (k.use === undefined || k.use === "sig"),
  );
  if (sig.length === 0) throw new Error(`JWKS ${safeUrl(uri)}: no signature keys`);
  return { keys: sig };
}
