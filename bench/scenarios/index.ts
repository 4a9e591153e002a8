// Every scenario `SCENARIOS=a,b` may name.
import { plain } from "./plain.ts";
import type { Scenario } from "./types.ts";

export const scenarios: ReadonlyMap<string, Scenario> = new Map([plain].map((s) => [s.name, s]));
