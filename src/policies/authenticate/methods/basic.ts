// HTTP Basic (RFC 7617) against the consumers' scrypt password hashes.
import type { BasicResult, PolicyServices } from "../../../pipeline/types.ts";
import { identityOf } from "../identity.ts";
import { type AuthMethod, authorization, type Outcome, refused } from "../method.ts";
import type { BasicOptions } from "../schema.ts";
import { hideAuthorization } from "./bearer.ts";

const BAD = refused("invalid user name or password");

export function basicMethod(options: BasicOptions, services: PolicyServices, realm: string): AuthMethod {
  return {
    name: "basic",
    header: "authorization",
    scheme: "Basic",
    challenge: `Basic realm="${realm}", charset="UTF-8"`,
    credential: (req) => authorization(req, "Basic"),
    check(encoded: string): Outcome | Promise<Outcome> {
      const decoded = Buffer.from(encoded, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon <= 0) return BAD;
      const found = services.consumers.verifyBasic(decoded.slice(0, colon), decoded.slice(colon + 1));
      const outcome = (c: BasicResult): Outcome =>
        c === "busy"
          ? { ok: false, status: 503, description: "too many password checks in flight", busy: true }
          : c === undefined
            ? BAD
            : { ok: true, identity: identityOf("basic", c.name, c) };
      return found instanceof Promise ? found.then(outcome) : outcome(found);
    },
    hide: hideAuthorization(options.hideCredentials !== false),
  };
}
