// Every scenario `SCENARIOS=a,b` may name.
import { jwt, jwtOff } from "./jwt.ts";
import { plain } from "./plain.ts";
import { resilient } from "./resilient.ts";
import type { Scenario } from "./types.ts";

export const scenarios: ReadonlyMap<string, Scenario> = new Map(
  [plain, resilient, jwt, jwtOff].map((s) => [s.name, s]),
);
