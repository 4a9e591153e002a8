// The table the plan compiler looks policies up in (once per plan, never per request).
import { accessPolicy } from "./access/index.ts";
import { authenticatePolicy } from "./authenticate/index.ts";
import { authorizePolicy } from "./authorize/index.ts";
import { cachePolicy } from "./cache/index.ts";
import { corsPolicy } from "./cors/index.ts";
import { headersPolicy } from "./headers/index.ts";
import { rateLimitPolicy } from "./rate-limit/index.ts";
import type { PolicyTable } from "./registry.ts";
import { validatePolicy } from "./validate/index.ts";

export const POLICIES = {
  headers: headersPolicy,
  cors: corsPolicy,
  access: accessPolicy,
  authenticate: authenticatePolicy,
  authorize: authorizePolicy,
  rateLimit: rateLimitPolicy,
  cache: cachePolicy,
  validate: validatePolicy,
} satisfies PolicyTable;
