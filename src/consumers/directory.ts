// The config's consumers, indexed by every credential form, built once per plan.
import { createHmac, createSecretKey, randomBytes } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { BasicResult, ClientCertificate, Consumer, ConsumerDirectory } from "../pipeline/types.ts";
import { hashApiKey, type PasswordHash, parsePasswordHash, verifyPassword } from "./hash.ts";
import type { ConsumerConfig } from "./schema.ts";

export interface ConsumerIssue {
  path: string;
  message: string;
}

// Verified Basic credentials are remembered so scrypt runs once per user and password, not per request.
// Keyed by an HMAC under a per-process secret: the cache never holds a password or a fast hash of one.
// Shared by every plan (a reload keeps it) and keyed by the stored hash too, so a changed password in
// the config stops matching at once.
const VERIFIED_TTL_MS = 5 * 60_000;
const verified = new LRUCache<string, true>({ max: 10_000, ttl: VERIFIED_TTL_MS });
// Wrong pairs are remembered briefly too, so replaying one wrong password costs no scrypt.
const refused = new LRUCache<string, true>({ max: 10_000, ttl: 60_000 });
// A KeyObject made once: createHmac with a raw Buffer imports the key again on every call.
const cacheSecret = createSecretKey(randomBytes(32));

// scrypt runs on libuv's thread pool (4 threads), which WebCrypto signature checks and DNS also use. A
// flood of wrong passwords must not starve them: at most 2 derivations run at once and 64 wait; past
// that a password check is refused as busy (503) instead of queued without bound.
const MAX_RUNNING = 2;
const MAX_WAITING = 64;
let running = 0;
const waiting: (() => void)[] = [];

function withScryptSlot<T>(task: () => Promise<T>): Promise<T> | undefined {
  if (running >= MAX_RUNNING && waiting.length >= MAX_WAITING) return undefined;
  const run = async () => {
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
  if (running < MAX_RUNNING) return run();
  return new Promise<void>((resolve) => waiting.push(resolve)).then(run);
}

interface BasicEntry {
  readonly consumer: Consumer;
  readonly hash: PasswordHash;
  readonly stored: string;
}

export class Consumers implements ConsumerDirectory {
  readonly #byName = new Map<string, Consumer>();
  readonly #byApiKey = new Map<string, Consumer>();
  readonly #byUser = new Map<string, BasicEntry>();
  readonly #bySubject = new Map<string, Consumer>();
  readonly #byCertSubject = new Map<string, Consumer>();
  readonly #byCertSan = new Map<string, Consumer>();

  get size(): number {
    return this.#byName.size;
  }

  all(): readonly Consumer[] {
    return [...this.#byName.values()];
  }

  byName(name: string): Consumer | undefined {
    return this.#byName.get(name);
  }

  byApiKey(key: string): Consumer | undefined {
    if (this.#byApiKey.size === 0) return undefined;
    return this.#byApiKey.get(hashApiKey(key));
  }

  verifyBasic(username: string, password: string): BasicResult | Promise<BasicResult> {
    // User names are not secret; an unknown one fails at once rather than burning scrypt time.
    const entry = this.#byUser.get(username);
    if (entry === undefined) return undefined;
    const key = createHmac("sha256", cacheSecret).update(`${entry.stored}\0${password}`).digest("base64");
    if (verified.get(key) === true) return entry.consumer;
    if (refused.get(key) === true) return undefined;
    const check = withScryptSlot(() => verifyPassword(password, entry.hash));
    if (check === undefined) return "busy";
    return check.then((ok) => {
      if (!ok) {
        refused.set(key, true);
        return undefined;
      }
      verified.set(key, true);
      return entry.consumer;
    });
  }

  bySubject(issuer: string, subject: string): Consumer | undefined {
    return this.#bySubject.get(`${issuer}\0${subject}`);
  }

  byCertificate(cert: ClientCertificate): Consumer | undefined {
    const bySubject = this.#byCertSubject.get(cert.subject);
    if (bySubject !== undefined) return bySubject;
    for (const san of cert.sans) {
      const c = this.#byCertSan.get(san);
      if (c !== undefined) return c;
    }
    return undefined;
  }

  /** Indexes the config's consumers; a clash (two consumers claiming one credential) is an issue. */
  static compile(list: readonly ConsumerConfig[] | undefined): {
    consumers: Consumers;
    issues: ConsumerIssue[];
  } {
    const out = new Consumers();
    const issues: ConsumerIssue[] = [];
    const claim = <V>(map: Map<string, V>, key: string, value: V, path: string, what: string) => {
      if (map.has(key)) issues.push({ path, message: `${what} is already used by another consumer` });
      else map.set(key, value);
    };
    (list ?? []).forEach((c, i) => {
      const at = `/consumers/${i}`;
      const consumer: Consumer = Object.freeze({
        name: c.name,
        id: c.id ?? c.name,
        groups: Object.freeze([...(c.groups ?? [])]),
        settings: Object.freeze({ ...(c.settings ?? {}) }),
      });
      claim(out.#byName, c.name, consumer, `${at}/name`, `name "${c.name}"`);
      const creds = c.credentials ?? {};
      creds.apiKeys?.forEach((h, j) => {
        claim(out.#byApiKey, h, consumer, `${at}/credentials/apiKeys/${j}`, "this key");
      });
      if (creds.basic !== undefined) {
        const hash = parsePasswordHash(creds.basic.password);
        if (hash === undefined) {
          issues.push({
            path: `${at}/credentials/basic/password`,
            message:
              "not a usable scrypt hash (ln must be 10-20); make one with `portcullis hash-secret --password`",
          });
        } else {
          const entry = { consumer, hash, stored: creds.basic.password };
          claim(
            out.#byUser,
            creds.basic.username,
            entry,
            `${at}/credentials/basic/username`,
            "this user name",
          );
        }
      }
      creds.jwt?.forEach((j, k) => {
        const path = `${at}/credentials/jwt/${k}`;
        claim(out.#bySubject, `${j.issuer}\0${j.subject}`, consumer, path, "this issuer and subject");
      });
      creds.mtls?.forEach((m, k) => {
        const path = `${at}/credentials/mtls/${k}`;
        if ("subject" in m) claim(out.#byCertSubject, m.subject, consumer, path, "this certificate subject");
        else claim(out.#byCertSan, m.san, consumer, path, "this certificate SAN");
      });
    });
    return { consumers: out, issues };
  }
}
