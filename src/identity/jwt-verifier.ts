// JWT access-token verification against a KeySet, with a cache of verified tokens so the common case
// (the same token on many requests) costs a map lookup and a time comparison.
import { decodeProtectedHeader, errors, type JWTHeaderParameters, type JWTPayload, jwtVerify } from "jose";
import { LRUCache } from "lru-cache";
import { KeyLookupError, type KeySet } from "./key-set.ts";
import { invalidToken, providerUnavailable, type TokenRejection } from "./result.ts";

export type VerifyResult = { ok: true; claims: JWTPayload; header: JWTHeaderParameters } | TokenRejection;

export interface JwtVerifierSettings {
  issuer: string;
  audiences?: string[];
  /** The only algorithms accepted; the token's own alg merely selects among these. */
  algorithms: string[];
  /** Accepted typ header values ("at+jwt" and "application/at+jwt" are the same); empty: typ not checked. */
  types: string[];
  clockSkewSec: number;
  /** Claims that must be present; exp is always required. */
  requiredClaims?: string[];
  cacheSize?: number;
  cacheMaxMs?: number;
}

/** Public-key JWS algorithms. HMAC is excluded on purpose: a JWKS holds public keys only. */
export const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set([
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
]);

const MAX_TOKEN_LENGTH = 16 * 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
// A kid is only ever compared with the JWKS; still, refuse the absurd before it reaches a log line.
const SANE_KID = /^[\x20-\x7e]{1,256}$/;
const EMBEDDED_KEY_HEADERS = ["jwk", "jku", "x5u", "x5c"] as const;

interface CacheEntry {
  result: VerifyResult & { ok: true };
  /**
   * ms epoch after which the entry must be re-verified: never past exp. (nbf held when it was cached
   * and time only moves on, so a hit needs no other check; past exp, the full check says "expired".)
   */
  until: number;
}

function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.includes("/") ? lower : `application/${lower}`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export class JwtVerifier {
  readonly #keys: KeySet;
  readonly #issuer: string;
  readonly #audiences: string[] | undefined;
  readonly #algorithms: string[];
  readonly #allowed: ReadonlySet<string>;
  readonly #types: ReadonlySet<string>;
  readonly #skewSec: number;
  readonly #required: string[];
  readonly #cacheMaxMs: number;
  readonly #cache: LRUCache<string, CacheEntry>;
  #keysVersion = -1;

  constructor(settings: JwtVerifierSettings, keys: KeySet) {
    if (!settings.issuer) throw new Error("issuer is required");
    if (!settings.algorithms.length) throw new Error("at least one algorithm is required");
    for (const alg of settings.algorithms) {
      if (!ASYMMETRIC_ALGORITHMS.has(alg)) {
        throw new Error(
          `algorithm ${alg} is not accepted; use one of ${[...ASYMMETRIC_ALGORITHMS].join(", ")} (keys come from a JWKS)`,
        );
      }
    }
    if (!Number.isFinite(settings.clockSkewSec) || settings.clockSkewSec < 0) {
      throw new Error("clockSkewSec must be a non-negative number");
    }
    this.#keys = keys;
    this.#issuer = settings.issuer;
    this.#audiences = settings.audiences?.length ? [...settings.audiences] : undefined;
    this.#algorithms = [...settings.algorithms];
    this.#allowed = new Set(settings.algorithms);
    this.#types = new Set(settings.types.map(normalizeTyp));
    this.#skewSec = settings.clockSkewSec;
    this.#required = [...new Set(["exp", ...(settings.requiredClaims ?? [])])];
    this.#cacheMaxMs = settings.cacheMaxMs ?? 60_000;
    this.#cache = new LRUCache({ max: Math.max(1, settings.cacheSize ?? 10_000) });
  }

  /** Nothing to release: shared by the routes of every plan with the same settings, the key set apart. */
  close(): void {}

  /** Tokens currently cached (for tests and metrics). */
  get cached(): number {
    return this.#cache.size;
  }

  /** A cache hit answers synchronously; anything else returns a Promise. Never throws for a bad token. */
  verify(token: string): VerifyResult | Promise<VerifyResult> {
    if (this.#keysVersion !== this.#keys.version) {
      // A rotation may have removed the key that signed a cached token.
      this.#cache.clear();
      this.#keysVersion = this.#keys.version;
    }
    const hit = this.#cache.get(token);
    if (hit !== undefined) {
      if (Date.now() < hit.until) return hit.result;
      this.#cache.delete(token);
    }
    return this.#verifySlow(token);
  }

  async #verifySlow(token: string): Promise<VerifyResult> {
    if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
      return invalidToken("malformed token");
    }
    let header: JWTHeaderParameters;
    try {
      header = decodeProtectedHeader(token) as JWTHeaderParameters;
    } catch {
      return invalidToken("malformed token header");
    }
    const refused = this.#checkHeader(header);
    if (refused) return refused;

    const version = this.#keys.version;
    let keys: CryptoKey[];
    try {
      keys = await this.#keys.keysFor(header);
    } catch (err) {
      if (err instanceof KeyLookupError) {
        return err.status === 503 ? providerUnavailable(err.message) : invalidToken(err.message);
      }
      return invalidToken("signing key not usable for this token");
    }

    let lastError: unknown;
    for (const key of keys) {
      try {
        const { payload, protectedHeader } = await jwtVerify(token, key, {
          algorithms: this.#algorithms,
          issuer: this.#issuer,
          audience: this.#audiences,
          clockTolerance: this.#skewSec,
          requiredClaims: this.#required,
        });
        // A sender-constrained token (DPoP, mTLS-bound: RFC 9449, 8705) is only valid with a proof of
        // possession this gateway does not check; accepting it as a bearer token would defeat the binding.
        if (payload.cnf !== undefined) return invalidToken("sender-constrained tokens are not supported");
        const result = deepFreeze({
          ok: true as const,
          claims: payload,
          header: protectedHeader as JWTHeaderParameters,
        });
        // Keys fetched during this verification may have replaced the one used: do not cache across that.
        if (version === this.#keys.version && version === this.#keysVersion) this.#remember(token, result);
        return result;
      } catch (err) {
        lastError = err;
        if (!(err instanceof errors.JWSSignatureVerificationFailed)) break;
      }
    }
    return invalidToken(describe(lastError));
  }

  #checkHeader(header: JWTHeaderParameters): TokenRejection | undefined {
    if (typeof header.alg !== "string" || !this.#allowed.has(header.alg)) {
      return invalidToken("algorithm not allowed");
    }
    for (const name of EMBEDDED_KEY_HEADERS) {
      if (Object.hasOwn(header, name)) return invalidToken("embedded key headers are not accepted");
    }
    // No extension is understood, so any crit list names something this verifier cannot honour.
    if (Object.hasOwn(header, "crit") || Object.hasOwn(header, "b64")) {
      return invalidToken("unsupported critical header");
    }
    if (
      this.#types.size > 0 &&
      (typeof header.typ !== "string" || !this.#types.has(normalizeTyp(header.typ)))
    ) {
      return invalidToken("wrong token type");
    }
    if (header.kid !== undefined && (typeof header.kid !== "string" || !SANE_KID.test(header.kid))) {
      return invalidToken("malformed key id");
    }
    return undefined;
  }

  #remember(token: string, result: VerifyResult & { ok: true }): void {
    const { exp } = result.claims;
    const now = Date.now();
    let until = now + this.#cacheMaxMs;
    if (typeof exp === "number") until = Math.min(until, exp * 1000);
    if (until > now) this.#cache.set(token, { result, until });
  }
}

/** Fixed phrases only: jose messages may quote claim values. */
function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "token expired";
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case "nbf":
        return "token not yet valid";
      case "iss":
        return err.reason === "missing" ? "missing claim iss" : "wrong issuer";
      case "aud":
        return err.reason === "missing" ? "missing claim aud" : "wrong audience";
      case "typ":
        return "wrong token type";
      default:
        if (err.reason === "missing" && /^[A-Za-z0-9_.:-]{1,64}$/.test(err.claim))
          return `missing claim ${err.claim}`;
        return "invalid claims";
    }
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return "signature invalid";
  if (err instanceof errors.JOSEAlgNotAllowed) return "algorithm not allowed";
  if (err instanceof errors.JOSENotSupported) return "unsupported token";
  return "malformed token";
}
