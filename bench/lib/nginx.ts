// nginx for the benchmark: the backend and the reference proxy, rendered from the templates in bench/nginx/.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Proc, startPinned } from "./procs.ts";

const templates = new URL("../nginx/", import.meta.url);

export function nginxBinary(): string {
  for (const dir of (process.env.PATH ?? "").split(":").concat("/usr/sbin", "/usr/local/sbin")) {
    if (dir && existsSync(join(dir, "nginx"))) return join(dir, "nginx");
  }
  throw new Error("nginx not found (bench/run.sh installs it with apt)");
}

export function nginxVersion(): string {
  // nginx prints its version on stderr.
  const { stderr } = spawnSync(nginxBinary(), ["-v"], { encoding: "utf8" });
  return stderr.trim().replace(/^nginx version: /, "");
}

/** Replaces every {{NAME}}; a placeholder left without a value is an error, not a silent blank. */
export function render(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`nginx template: no value for {{${name}}}`);
    return vars[name];
  });
}

export function startNginx(
  kind: "backend" | "proxy",
  dir: string,
  cpu: number,
  vars: { PORT: number; UPSTREAM_PORT?: number },
): Proc {
  const template = readFileSync(new URL(`${kind}.conf.template`, templates), "utf8");
  const conf = join(dir, `${kind}.conf`);
  writeFileSync(
    conf,
    render(template, {
      DIR: dir,
      // As root, nginx would otherwise switch its workers to "nobody", who cannot write the temp dir.
      USER: process.getuid?.() === 0 ? "user root;" : "",
      PORT: String(vars.PORT),
      UPSTREAM_PORT: String(vars.UPSTREAM_PORT ?? ""),
    }),
  );
  // -e: errors before the config is read go to our dir, not /var/log/nginx (often not writable).
  return startPinned(
    `nginx ${kind}`,
    nginxBinary(),
    ["-p", dir, "-c", conf, "-e", join(dir, `${kind}-startup.log`)],
    {
      cpu,
      stderrPath: join(dir, `${kind}-stderr.log`),
    },
  );
}
