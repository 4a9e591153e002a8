// Outbound HTTP to an identity provider: URL policy (https, or http to loopback only), an optional
// private CA, a timeout, a body-size cap, and error messages that name the URL without query or
// credentials and never echo a response body.
import ipaddr from "ipaddr.js";
import { Agent, fetch as undiciFetch } from "undici";

const MAX_BODY_BYTES = 1024 * 1024;

/** Throws unless `raw` is an https URL, or an http URL whose host is a loopback address. */
export function checkProviderUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${what} is not a valid URL`);
  }
  if (url.username || url.password) throw new Error(`${what} must not carry credentials in the URL`);
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:") {
    if (isLoopbackHost(url.hostname)) return url;
    throw new Error(
      `${what} ${safeUrl(url)} uses plain http; only https is accepted, except for loopback hosts (127.0.0.0/8, ::1, localhost)`,
    );
  }
  throw new Error(`${what} must be an https URL`);
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  if (host.toLowerCase() === "localhost") return true;
  if (!ipaddr.isValid(host)) return false;
  return ipaddr.process(host).range() === "loopback";
}

/** The URL as it may appear in logs and errors: no credentials, query or fragment. */
export function safeUrl(url: URL | string): string {
  const u = typeof url === "string" ? new URL(url) : url;
  return `${u.protocol}//${u.host}${u.pathname}`;
}

export interface ProviderHttpOptions {
  ca?: string;
  timeoutMs: number;
}

/** What went wrong on a request, in words safe for logs: status, timeout or socket error code. */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === "TimeoutError") return `timed out after ${timeoutMs} ms`;
    if (err.name === "AbortError") return "aborted";
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error) {
      if (cause.name === "TimeoutError") return `timed out after ${timeoutMs} ms`;
      const code = (cause as { code?: unknown }).code;
      return `unreachable (${typeof code === "string" ? code : cause.message})`;
    }
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string") return `unreachable (${code})`;
  }
  return "unreachable";
}

export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * One per configured provider. Creating it opens nothing; the agent connects on first use.
 */
export class ProviderHttp {
  readonly #timeoutMs: number;
  readonly #agent: Agent | undefined;

  constructor(opts: ProviderHttpOptions) {
    this.#timeoutMs = opts.timeoutMs;
    this.#agent = opts.ca ? new Agent({ connect: { ca: opts.ca } }) : undefined;
  }

  /** A fetch for libraries (openid-client): checks the URL policy, applies the CA and timeout. */
  readonly fetch: FetchLike = (url, init) => {
    checkProviderUrl(String(url), "identity provider URL");
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return undiciFetch(String(url), {
      ...(init as object),
      signal,
      redirect: "manual",
      dispatcher: this.#agent,
    } as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;
  };

  /** GET a JSON document; rejects with an Error whose message is safe to log. */
  async getJson(raw: string, what: string): Promise<unknown> {
    const url = checkProviderUrl(raw, what);
    const label = `${what} ${safeUrl(url)}`;
    let res: Response;
    try {
      res = await this.fetch(url, { headers: { accept: "application/json" } });
    } catch (err) {
      throw new Error(`${label}: ${describeFetchError(err, this.#timeoutMs)}`);
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`${label}: answered HTTP ${res.status}`);
    }
    let text: string;
    try {
      text = await readLimited(res, MAX_BODY_BYTES);
    } catch (err) {
      throw new Error(
        `${label}: ${err instanceof RangeError ? err.message : describeFetchError(err, this.#timeoutMs)}`,
      );
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`${label}: response is not JSON`);
    }
  }

  close(): Promise<void> {
    return this.#agent ? this.#agent.close() : Promise.resolve();
  }
}

async function readLimited(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get("content-length"));
  if (declared > max) {
    await res.body?.cancel().catch(() => {});
    throw new RangeError(`response larger than ${max} bytes`);
  }
  if (!res.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw new RangeError(`response larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
