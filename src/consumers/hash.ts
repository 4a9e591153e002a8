// Credentials at rest. API keys are random and long, so one SHA-256 is enough to make a stolen config
// useless and still lets a key be looked up in a map; passwords are guessable, so they get scrypt.
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { PASSWORD_HASH } from "./schema.ts";

export function hashApiKey(key: string): string {
  return `sha256:${createHash("sha256").update(key).digest("hex")}`;
}

/** A new random API key (256 bits, base64url). */
export function generateApiKey(): string {
  return `pk_${randomBytes(32).toString("base64url")}`;
}

const DEFAULT_LN = 15; // N = 32768, r = 8: 32 MiB and tens of milliseconds, scrypt's interactive setting.

export interface PasswordHash {
  readonly n: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

const SHAPE = new RegExp(PASSWORD_HASH);

export function parsePasswordHash(text: string): PasswordHash | undefined {
  const m = SHAPE.exec(text);
  if (m === null) return undefined;
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (ln < 10 || ln > 20 || r < 1 || p < 1) return undefined;
  const [, , , salt, hash] = text.split("$");
  return { n: 2 ** ln, r, p, salt: Buffer.from(salt, "base64"), hash: Buffer.from(hash, "base64") };
}

function derive(password: string, h: Pick<PasswordHash, "n" | "r" | "p" | "salt">, len: number) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(
      password,
      h.salt,
      len,
      { N: h.n, r: h.r, p: h.p, maxmem: 256 * h.n * h.r + 1024 * 1024 },
      (e, k) => (e ? reject(e) : resolve(k)),
    ),
  );
}

export async function hashPassword(password: string, ln = DEFAULT_LN): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, { n: 2 ** ln, r: 8, p: 1, salt }, 32);
  return `$scrypt$ln=${ln},r=8,p=1$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export async function verifyPassword(password: string, h: PasswordHash): Promise<boolean> {
  const key = await derive(password, h, h.hash.length);
  return timingSafeEqual(key, h.hash);
}
