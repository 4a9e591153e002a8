// API keys in a header (default x-api-key) or, when configured, a query parameter. Keys are compared by
// their SHA-256 (the config holds hashes only).
import type { HeaderBag, PolicyServices, RequestView } from "../../../pipeline/types.ts";
import { identityOf } from "../identity.ts";
import { type AuthMethod, refused } from "../method.ts";
import type { ApiKeyOptions } from "../schema.ts";

export function apiKeyMethod(options: ApiKeyOptions, services: PolicyServices): AuthMethod {
  const header = (options.header ?? (options.query === undefined ? "x-api-key" : undefined))?.toLowerCase();
  const query = options.query;
  const hide = options.hideCredentials !== false;
  return {
    name: "apiKey",
    header,
    challenge: `ApiKey${header ? ` header="${header}"` : ""}${query ? ` query="${query}"` : ""}`,
    credential(req: RequestView): string | undefined {
      if (header !== undefined) {
        const v = req.headers[header];
        if (typeof v === "string" && v !== "") return v;
        // Two copies of the key header are ambiguous; refuse rather than pick one.
        if (Array.isArray(v)) return "";
      }
      if (query !== undefined && req.query !== "")
        return new URLSearchParams(req.query).get(query) ?? undefined;
      return undefined;
    },
    check(key: string) {
      const consumer = key === "" ? undefined : services.consumers.byApiKey(key);
      if (consumer === undefined) return refused("unknown API key");
      return { ok: true, identity: identityOf("apiKey", consumer.name, consumer) };
    },
    hide: !hide
      ? undefined
      : (upstream: HeaderBag) => {
          if (header !== undefined) delete upstream[header];
        },
  };
}
