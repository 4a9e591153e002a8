// Every scenario `SCENARIOS=a,b` may name.
import { plain } from "./plain.ts";
import { resilient } from "./resilient.ts";
import type { Scenario } from "./types.ts";

export const scenarios: ReadonlyMap<string, Scenario> = new Map([plain, resilient].map((s) => [s.name, s]));
