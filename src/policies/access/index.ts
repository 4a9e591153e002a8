// Client address allow/deny lists and path/method rules, checked before identity: refusing by address
// costs nothing and tells an unwanted client nothing about authentication. Consumer-based decisions
// belong to `authorize`, once the consumer is known.
import type { PolicyDefinition } from "../../pipeline/types.ts";
import { checkAccess, compileAccess } from "./compile.ts";
import { type AccessOptions, accessSchema } from "./schema.ts";

export const accessPolicy: PolicyDefinition<AccessOptions> = {
  name: "access",
  phase: "access",
  priority: 1000,
  schema: accessSchema,
  create(options, ctx) {
    const access = compileAccess(options, ctx.path);
    return { onRequest: (req) => checkAccess(access, req) };
  },
};
