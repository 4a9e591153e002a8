// Cross-origin resource sharing per the Fetch standard, answered at the edge before any identity check
// (preflights carry no credentials).
import type { PolicyDefinition } from "../../pipeline/types.ts";
import { compileCors } from "./compile.ts";
import { answerPreflight } from "./preflight.ts";
import { decorateResponse } from "./response.ts";
import { type CorsOptions, corsSchema } from "./schema.ts";

export const corsPolicy: PolicyDefinition<CorsOptions> = {
  name: "cors",
  phase: "edge",
  priority: 1000,
  schema: corsSchema,
  create(options, ctx) {
    const cors = compileCors(options, ctx.path);
    return {
      onRequest: (req) => answerPreflight(cors, req),
      onResponse: (req, res) => decorateResponse(cors, req, res),
    };
  },
};
