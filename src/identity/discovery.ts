// OpenID Connect discovery: the provider's metadata document, checked against the configured issuer.
import { checkProviderUrl, type ProviderHttp } from "./http.ts";

export interface ProviderMetadata {
  issuer: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
  token_endpoint?: string;
}

export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
}

export async function discover(issuer: string, http: ProviderHttp): Promise<ProviderMetadata> {
  const doc = await http.getJson(discoveryUrl(issuer), "discovery document");
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new Error(`discovery document for ${issuer} is not a JSON object`);
  }
  const meta = doc as Record<string, unknown>;
  // Exact match (OpenID Connect Discovery §4.3): a look-alike issuer is a different trust domain.
  if (meta.issuer !== issuer) {
    throw new Error(
      `discovery document for ${issuer} names a different issuer (${typeof meta.issuer === "string" ? meta.issuer.slice(0, 200) : "none"})`,
    );
  }
  const out: ProviderMetadata = { issuer };
  for (const key of ["jwks_uri", "introspection_endpoint", "token_endpoint"] as const) {
    const value = meta[key];
    if (value === undefined) continue;
    if (typeof value !== "string")
      throw new Error(`discovery document for ${issuer}: ${key} is not a string`);
    checkProviderUrl(value, `discovered ${key}`);
    out[key] = value;
  }
  return out;
}
