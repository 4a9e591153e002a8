// Origin patterns compiled once: a set of exact serialized origins plus wildcard-subdomain suffixes.
// An origin is scheme://host[:port] (RFC 6454); scheme and host ignore case, a default port is dropped.
import { PolicyConfigError } from "../../pipeline/types.ts";

/** True when the request's Origin header value is allowed (never called for "*"). */
export type OriginMatcher = (origin: string) => boolean;

const HOST = "([a-z0-9_-]+(?:\\.[a-z0-9_-]+)*|\\[[0-9a-f:.]+\\])";
const PATTERN = new RegExp(`^([a-z][a-z0-9+.-]*)://(\\*\\.)?${HOST}(?::(\\d{1,5}))?$`);
const ORIGIN = new RegExp(`^([a-z][a-z0-9+.-]*)://${HOST}(?::(\\d{1,5}))?$`);
const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: "80", https: "443", ws: "80", wss: "443" };

interface Wildcard {
  readonly scheme: string;
  /** ".example.com": the host must end with it. */
  readonly suffix: string;
  readonly port: string | undefined;
}

function normalPort(scheme: string, port: string | undefined): string | undefined {
  return port === undefined || DEFAULT_PORTS[scheme] === port ? undefined : port;
}

function serialize(scheme: string, host: string, port: string | undefined): string {
  return port === undefined ? `${scheme}://${host}` : `${scheme}://${host}:${port}`;
}

function malformed(pattern: string, at: string): PolicyConfigError {
  let hint = 'expected "*", "null", "scheme://host[:port]" or "scheme://*.domain[:port]"';
  if (!pattern.includes("://")) hint = 'an origin starts with its scheme, e.g. "https://"';
  else if (/^[^:]+:\/\/[^/]+\//.test(pattern)) hint = "an origin has no path (remove the trailing '/')";
  return new PolicyConfigError(at, `malformed origin pattern "${pattern}": ${hint}`);
}

/** Returns "*" for any origin, or a matcher. Throws PolicyConfigError naming the bad entry. */
export function compileOrigins(patterns: readonly string[], path: string): "*" | OriginMatcher {
  if (patterns.includes("*")) {
    if (patterns.some((p) => p !== "*")) {
      throw new PolicyConfigError(path, '"*" allows every origin; list it alone or not at all');
    }
    return "*";
  }
  const exact = new Set<string>();
  const wildcards: Wildcard[] = [];
  let allowNull = false;
  patterns.forEach((pattern, i) => {
    const at = `${path}/${i}`;
    if (pattern === "null") {
      allowNull = true;
      return;
    }
    const m = PATTERN.exec(pattern.toLowerCase());
    if (m === null) throw malformed(pattern, at);
    const [, scheme, star, host, rawPort] = m;
    if (rawPort !== undefined && (Number(rawPort) < 1 || Number(rawPort) > 65535 || rawPort[0] === "0")) {
      throw new PolicyConfigError(at, `origin pattern "${pattern}" has an invalid port`);
    }
    const port = normalPort(scheme, rawPort);
    if (star === undefined) {
      exact.add(serialize(scheme, host, port));
      return;
    }
    if (host.startsWith("[")) throw malformed(pattern, at);
    wildcards.push({ scheme, suffix: `.${host}`, port });
  });

  return (origin) => {
    if (origin === "null") return allowNull;
    const lower = origin.toLowerCase();
    if (exact.has(lower)) return true;
    const m = ORIGIN.exec(lower);
    if (m === null) return false;
    const [, scheme, host, rawPort] = m;
    const port = normalPort(scheme, rawPort);
    if (port !== rawPort && exact.has(serialize(scheme, host, port))) return true;
    // ORIGIN has no empty labels, so a host ending in ".example.com" has a label before it.
    for (const w of wildcards) {
      if (w.scheme === scheme && w.port === port && host.endsWith(w.suffix)) return true;
    }
    return false;
  };
}
