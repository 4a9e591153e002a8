// The client certificate of a TLS connection, in the shape policies see (RFC 4514-style subject, plain
// SAN values). Only listeners with `tls.clientAuth` ask for one.
import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from "node:tls";
import type { ClientCertificate } from "../pipeline/types.ts";

export function readClientCertificate(socket: TLSSocket | undefined): ClientCertificate | undefined {
  if (socket === undefined || typeof socket.getPeerCertificate !== "function") return undefined;
  const cert = socket.getPeerCertificate(false) as PeerCertificate | DetailedPeerCertificate;
  if (cert === null || cert.subject === undefined || Object.keys(cert).length === 0) return undefined;
  return Object.freeze({
    authorized: socket.authorized === true,
    subject: subjectString(cert.subject as unknown as Record<string, string | string[]>),
    sans: Object.freeze(parseSans(cert.subjectaltname)),
    fingerprint256: cert.fingerprint256,
  });
}

// Most specific last in the certificate, first in RFC 4514's string form.
const ORDER = ["CN", "OU", "O", "L", "ST", "C"];

function subjectString(subject: Record<string, string | string[]>): string {
  const keys = Object.keys(subject).sort((a, b) => rank(a) - rank(b));
  const parts: string[] = [];
  for (const k of keys) {
    const v = subject[k];
    for (const one of Array.isArray(v) ? v : [v]) parts.push(`${k}=${escapeRdn(one)}`);
  }
  return parts.join(",");
}

function rank(key: string): number {
  const i = ORDER.indexOf(key);
  return i === -1 ? ORDER.length : i;
}

function escapeRdn(value: string): string {
  return value.replace(/[,+"\\<>;=]/g, "\\$&").replace(/^[ #]|[ ]$/g, "\\$&");
}

/** "DNS:a.example, URI:spiffe://x, IP Address:10.0.0.1" → values; quoted values may contain commas. */
function parseSans(text: string | undefined): string[] {
  if (!text) return [];
  const out: string[] = [];
  const re =
    /(?:^|,\s*)(?:DNS|URI|email|IP Address|DirName|othername|Registered ID):("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const v = m[1];
    out.push(v.startsWith('"') ? JSON.parse(v) : v);
  }
  return out;
}
