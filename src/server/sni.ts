// Certificates chosen by SNI: exact names first, then the longest wildcard, then the first certificate.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSecureContext, type SecureContext } from "node:tls";
import type { ListenerConfig } from "../config/schema.ts";

type Certificates = NonNullable<ListenerConfig["tls"]>["certificates"];

/** `clientCa`: the CA bundle client certificates are verified against (each SNI context needs it). */
export function buildSniContexts(certs: Certificates, minVersion: "TLSv1.2" | "TLSv1.3", clientCa?: Buffer) {
  const exact = new Map<string, SecureContext>();
  const wildcards: [suffix: string, ctx: SecureContext][] = [];
  let fallback: SecureContext | undefined;
  for (const c of certs) {
    const cert = readFileSync(c.cert);
    const ctx = createSecureContext({
      cert,
      key: readFileSync(c.key),
      minVersion,
      ...(clientCa ? { ca: clientCa } : {}),
    });
    fallback ??= ctx;
    const names = c.serverNames ?? namesFromCertificate(cert);
    for (const raw of names) {
      const name = raw.toLowerCase();
      if (name.startsWith("*.")) wildcards.push([name.slice(1), ctx]);
      else if (!exact.has(name)) exact.set(name, ctx);
    }
  }
  wildcards.sort((a, b) => b[0].length - a[0].length);
  return (servername: string): SecureContext | undefined => {
    const name = servername.toLowerCase();
    const hit = exact.get(name);
    if (hit) return hit;
    for (const [suffix, ctx] of wildcards) {
      // A TLS wildcard covers exactly one label (RFC 6125 §6.4.3).
      if (name.endsWith(suffix) && name.lastIndexOf(".", name.length - suffix.length - 1) === -1) return ctx;
    }
    return fallback;
  };
}

function namesFromCertificate(pem: Buffer): string[] {
  const x509 = new X509Certificate(pem);
  const names = (x509.subjectAltName ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.startsWith("DNS:"))
    .map((s) => s.slice(4));
  if (names.length > 0) return names;
  const cn = /CN=([^\n,]+)/.exec(x509.subject)?.[1];
  return cn ? [cn] : [];
}
