import Type, { type Static } from "typebox";
import { TOKEN_PATTERN } from "../../pipeline/token.ts";

const Cidr = Type.String({
  minLength: 1,
  description: 'An IPv4 or IPv6 address or CIDR range: "10.0.0.0/8", "2001:db8::/32", "192.0.2.7".',
});
const Cidrs = Type.Array(Cidr, { minItems: 1 });
const Method = Type.String({ pattern: TOKEN_PATTERN });
const Path = Type.String({ pattern: "^/" });

const Rule = Type.Object(
  {
    path: Type.Optional({
      ...Path,
      description: "This path exactly (a trailing slash is ignored). At most one of path and pathPrefix.",
    }),
    pathPrefix: Type.Optional({
      ...Path,
      description:
        "This path and everything below it, segment by segment (/admin covers /admin/x, not /admins).",
    }),
    caseInsensitive: Type.Optional(
      Type.Boolean({ description: "Compare the path without regard to ASCII case (default false)." }),
    ),
    methods: Type.Optional(
      Type.Array(Method, { minItems: 1, description: "Only these methods (GET covers HEAD); default any." }),
    ),
    cidrs: Type.Optional({ ...Cidrs, description: "Only clients in these ranges; default any." }),
    except: Type.Optional(
      Type.Object(
        { cidrs: { ...Cidrs, description: "Clients in these ranges are not concerned by the rule." } },
        { additionalProperties: false },
      ),
    ),
    action: Type.Union([Type.Literal("allow"), Type.Literal("deny")], {
      description: "deny: refuse with 403; allow: let the request through and skip the later rules.",
    }),
  },
  { additionalProperties: false },
);

export const accessSchema = Type.Object(
  {
    allow: Type.Optional({
      ...Cidrs,
      description: "Only clients in these ranges may pass; every other address is refused.",
    }),
    deny: Type.Optional({
      ...Cidrs,
      description: "Clients in these ranges are refused, even when allow lists them.",
    }),
    rules: Type.Optional(
      Type.Array(Rule, {
        minItems: 1,
        description: "Path and method rules, after the address lists; the first rule that matches decides.",
      }),
    ),
  },
  {
    additionalProperties: false,
    description: "Allow and deny lists of client addresses (CIDR), and rules by path and method.",
  },
);

export type AccessOptions = Static<typeof accessSchema>;
export type AccessRule = Static<typeof Rule>;
