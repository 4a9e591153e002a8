// A scenario is one Portcullis configuration to benchmark against the same backend and the same peers.
// To add one: write bench/scenarios/<name>.ts exporting a Scenario and list it in bench/scenarios/index.ts;
// then `SCENARIOS=plain,<name> npm run bench`.
import type { Config } from "../../src/config/schema.ts";

export interface ScenarioContext {
  /** Port Portcullis must listen on (127.0.0.1). */
  listenPort: number;
  /** Port for the admin listener. */
  adminPort: number;
  /** The backend, e.g. "http://127.0.0.1:41234". */
  backendOrigin: string;
  /** Production default is on; the harness also runs the variant with it off when ACCESS_LOG asks. */
  accessLog: boolean;
  /** A private temp dir for keys, certificates or other files the scenario needs. */
  dir: string;
}

export interface ScenarioSetup {
  config: Config;
  /** What every benchmark request sends (default GET / with no extra headers). */
  request?: { path?: string; headers?: Record<string, string> };
}

export interface Scenario {
  name: string;
  description: string;
  /** Called before each Portcullis start; may create files under ctx.dir. */
  setup(ctx: ScenarioContext): ScenarioSetup | Promise<ScenarioSetup>;
}
