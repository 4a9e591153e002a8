// Header transforms: request ops rewrite what goes upstream, response ops what goes to the client.
import type { PolicyDefinition, PolicyHooks } from "../../pipeline/types.ts";
import { applyOps } from "./apply.ts";
import { compileOps } from "./compile.ts";
import { type HeadersOptions, headersSchema } from "./schema.ts";

export const headersPolicy: PolicyDefinition<HeadersOptions> = {
  name: "headers",
  phase: "transform",
  priority: 0,
  schema: headersSchema,
  create(options, ctx) {
    const request = compileOps("request", options.request, `${ctx.path}/request`);
    const response = compileOps("response", options.response, `${ctx.path}/response`);
    const hooks: PolicyHooks = {};
    if (request !== undefined) {
      hooks.onRequest = (req) => {
        applyOps(request, req.upstreamHeaders);
        return undefined;
      };
    }
    if (response !== undefined) hooks.onResponse = (_req, res) => applyOps(response, res.headers);
    return hooks;
  },
};
