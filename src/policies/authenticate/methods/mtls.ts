// Client certificates verified by the listener (tls.clientAuth) mapped to consumers by subject or SAN.
import type { PolicyServices, RequestView } from "../../../pipeline/types.ts";
import { identityOf } from "../identity.ts";
import { type AuthMethod, refused } from "../method.ts";
import type { MtlsOptions } from "../schema.ts";

export function mtlsMethod(options: MtlsOptions, services: PolicyServices): AuthMethod {
  const requireConsumer = options.requireConsumer !== false;
  return {
    name: "mtls",
    challenge: "", // TLS has no HTTP challenge; the listener asks for the certificate.
    credential: (req: RequestView) => (req.clientCertificate === undefined ? undefined : "certificate"),
    check(_: string, req: RequestView) {
      const cert = req.clientCertificate;
      // An optional-mode listener hands over certificates that did not verify: never trust those.
      if (cert === undefined || !cert.authorized) return refused("client certificate not trusted");
      const consumer = services.consumers.byCertificate(cert);
      if (consumer === undefined && requireConsumer) return refused("client certificate maps to no consumer");
      return { ok: true, identity: identityOf("mtls", consumer?.name ?? cert.subject, consumer) };
    },
  };
}
