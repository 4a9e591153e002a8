// Every policy the gateway knows, in one list. The config schema's `policies` object is built from it,
// so a policy's YAML key is its folder name and its options are validated by its own schema.
import Type from "typebox";
import type { PolicyDefinition } from "../pipeline/types.ts";
import { accessSchema } from "./access/schema.ts";
import { authenticateSchema } from "./authenticate/schema.ts";
import { authorizeSchema } from "./authorize/schema.ts";
import { cacheSchema } from "./cache/schema.ts";
import { corsSchema } from "./cors/schema.ts";
import { headersSchema } from "./headers/schema.ts";
import { rateLimitSchema } from "./rate-limit/schema.ts";
import { validateSchema } from "./validate/schema.ts";

export const policiesSchema = Type.Object(
  {
    headers: Type.Optional(headersSchema),
    cors: Type.Optional(corsSchema),
    access: Type.Optional(accessSchema),
    authenticate: Type.Optional(authenticateSchema),
    authorize: Type.Optional(authorizeSchema),
    rateLimit: Type.Optional(rateLimitSchema),
    cache: Type.Optional(cacheSchema),
    validate: Type.Optional(validateSchema),
  },
  { additionalProperties: false, description: "Policies by name; a route's entry replaces the global one." },
);

/** Filled by src/policies/index.ts (kept apart so the schema does not import policy code). */
export type PolicyTable = Record<string, PolicyDefinition<never>>;
