// One way to authenticate. A method first says whether the request carries its kind of credential; only
// then is it asked to check it, so the first method with a credential decides (no silent fall-through
// from a bad token to a weaker method).
import type { HeaderBag, Identity, RequestView } from "../../pipeline/types.ts";

export type Outcome =
  | { ok: true; identity: Identity }
  /** 401: the client's credential is missing or bad. `error` is the RFC 6750 code for bearer methods. */
  | { ok: false; status: 401; error?: string; description: string }
  /** 503: a provider the gateway needs (JWKS, introspection) failed, or it is overloaded; not the client's fault. */
  | { ok: false; status: 503; description: string; busy?: true };

export interface AuthMethod {
  readonly name: string;
  /** The credential this method reads, or undefined when the request carries none of its kind. */
  credential(req: RequestView): string | undefined;
  check(credential: string, req: RequestView): Outcome | Promise<Outcome>;
  /** This method's WWW-Authenticate challenge (without error parameters). */
  readonly challenge: string;
  /** Removes the credential from the upstream request (hideCredentials). */
  hide?(upstream: HeaderBag): void;
  /** Bearer methods share the Authorization header; this says which tokens this one takes. */
  readonly scheme?: "Bearer" | "Basic";
  /** The request header the credential comes in, if any (removed upstream when another method decides). */
  readonly header?: string;
}

export function refused(description: string, error?: string): Outcome {
  return error === undefined
    ? { ok: false, status: 401, description }
    : { ok: false, status: 401, error, description };
}

/** The Authorization header's credentials for `scheme` (case-insensitive), or undefined. */
export function authorization(req: RequestView, scheme: string): string | undefined {
  const value = req.headers.authorization;
  if (typeof value !== "string") return undefined;
  const space = value.indexOf(" ");
  if (space !== scheme.length || value.slice(0, space).toLowerCase() !== scheme.toLowerCase())
    return undefined;
  return value.slice(space + 1).trim();
}
