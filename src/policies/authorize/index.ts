// What an authenticated identity may do. Runs after authenticate: local rules (scopes, groups, claims,
// consumers) first, then the external service if configured. 401 when there is no identity at all,
// 403 when there is one but it is not allowed.

import { problemReply } from "../../pipeline/problem-reply.ts";
import {
  type LocalReply,
  PolicyConfigError,
  type PolicyContext,
  type PolicyDefinition,
  type RequestView,
} from "../../pipeline/types.ts";
import { AuthzClient, type Decision, ExternalAuthz } from "./external.ts";
import { checkConsumers, checkRules, compileRules } from "./rules.ts";
import { type AuthorizeOptions, authorizeSchema } from "./schema.ts";

export const authorizePolicy: PolicyDefinition<AuthorizeOptions> = {
  name: "authorize",
  phase: "authorize",
  priority: 1000,
  schema: authorizeSchema,
  create(options, ctx) {
    checkOptions(options, ctx);
    const rules = compileRules(options.rules);
    const external =
      options.external === undefined
        ? undefined
        : new ExternalAuthz(
            options.external,
            ctx.services.shared(`authz ${options.external.url}`, () => new AuthzClient()),
          );
    const upstreamNames = external?.upstreamHeaders ?? [];
    const needsIdentity = rules.length > 0 || options.consumers !== undefined;

    const apply = (req: RequestView, d: Decision): LocalReply | undefined => {
      if (d.kind === "allow") {
        for (const [name, value] of d.headers) req.upstreamHeaders[name] = value;
        return undefined;
      }
      if (d.kind === "deny") return problemReply("FORBIDDEN", "denied by the authorization service");
      ctx.services.log("warn", "external authorization failed", {
        authz: { url: options.external?.url, reason: d.reason, failOpen: external?.failOpen },
      });
      return external?.failOpen
        ? undefined
        : problemReply("AUTHZ_UNAVAILABLE", "authorization service unavailable");
    };

    return {
      onRequest(req) {
        // The service's answer is the only source of these headers.
        for (const name of upstreamNames) delete req.upstreamHeaders[name];
        const id = req.identity;
        if (id === undefined && needsIdentity)
          return problemReply("UNAUTHENTICATED", "authentication required");
        if (id !== undefined) {
          const refusal = checkRules(rules, req.method, id);
          if (refusal?.kind === "scope") return insufficientScope(id.method, refusal.missing);
          if (refusal !== undefined) return problemReply("FORBIDDEN", refusal.detail);
          const consumer = checkConsumers(options.consumers, id);
          if (consumer !== undefined) return problemReply("FORBIDDEN", consumer);
        }
        if (external === undefined) return undefined;
        const d = external.decide(req);
        return d instanceof Promise ? d.then((x) => apply(req, x)) : apply(req, d);
      },
    };
  },
};

/** What the schema cannot say: typos in consumer names, rules that require nothing, contradictions. */
function checkOptions(options: AuthorizeOptions, ctx: PolicyContext): void {
  options.rules?.forEach((r, i) => {
    if (r.scopes === undefined && r.groups === undefined && r.claims === undefined) {
      throw new PolicyConfigError(
        `${ctx.path}/rules/${i}`,
        "the rule requires nothing: give scopes, groups or claims",
      );
    }
  });
  for (const list of ["allow", "deny"] as const) {
    options.consumers?.[list]?.forEach((name, i) => {
      if (ctx.services.consumers.byName(name) === undefined) {
        throw new PolicyConfigError(`${ctx.path}/consumers/${list}/${i}`, `no consumer named "${name}"`);
      }
      if (list === "allow" && options.consumers?.deny?.includes(name)) {
        throw new PolicyConfigError(
          `${ctx.path}/consumers/allow/${i}`,
          `"${name}" is both allowed and denied`,
        );
      }
    });
  }
  if (options.external !== undefined && !URL.canParse(options.external.url)) {
    throw new PolicyConfigError(`${ctx.path}/external/url`, `"${options.external.url}" is not a valid URL`);
  }
}

/** RFC 6750 §3.1: a bearer token without the scope gets 403 with error="insufficient_scope". */
function insufficientScope(method: string, missing: string[]): LocalReply {
  const reply = problemReply("FORBIDDEN", `missing scope ${missing.join(" ")}`);
  if (method !== "jwt" && method !== "introspection") return reply;
  return {
    ...reply,
    headers: { "www-authenticate": `Bearer error="insufficient_scope", scope="${missing.join(" ")}"` },
  };
}
