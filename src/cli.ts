// portcullis start | validate. Exit codes: 0 ok, 1 invalid configuration, 2 usage or startup failure.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Command } from "commander";
import { formatIssues, loadConfigFile, locate } from "./config/load.ts";
import { compileLoaded } from "./config/store.ts";
import { generateApiKey, hashApiKey, hashPassword } from "./consumers/hash.ts";
import { startDemoUpstream } from "./demo/upstream.ts";
import { ConfigError, startGateway } from "./gateway.ts";
import { PoolRegistry } from "./upstream/pools.ts";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command()
  .name("portcullis")
  .description("An API gateway: accept, check, route and proxy HTTP, with logs and metrics.")
  .version(pkg.version, "-v, --version")
  // commander exits 1 on usage mistakes, which is this CLI's "invalid configuration"; scripts need to tell
  // a typo in the command line from a bad file. Set before the subcommands, which copy it.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program
  .command("start")
  .description("run the gateway")
  .requiredOption("-c, --config <file>", "configuration file (YAML)")
  .option("--no-watch", "do not reload when the file changes (SIGHUP still reloads)")
  .option("--demo-upstream [port]", "also start the built-in demo upstream (default port 9090)")
  .action(async (opts: { config: string; watch: boolean; demoUpstream?: string | boolean }) => {
    const file = resolve(opts.config);
    if (opts.demoUpstream !== undefined) {
      const port = typeof opts.demoUpstream === "string" ? Number(opts.demoUpstream) : 9090;
      await startDemoUpstream(port).then((s) => s.unref());
    }
    let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
    // Installed before starting: SIGHUP's default action ends the process, and a supervisor that sends it
    // as soon as it sees "listening" must not kill a gateway that is still opening its admin listener.
    process.on("SIGHUP", () => void gateway?.reload());
    try {
      gateway = await startGateway({ configFile: file, watch: opts.watch });
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`${formatIssues(err.issues)}\n${err.issues.length} error(s); not started\n`);
        process.exit(1);
      }
      throw err;
    }
    const stop = (signal: string) => {
      gateway.logger.info({ signal }, "signal received");
      gateway.shutdown().then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`shutdown failed: ${(err as Error).stack}\n`);
          process.exit(2);
        },
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });

program
  .command("validate")
  .description("check a configuration file and print every problem with its line:column")
  .requiredOption("-c, --config <file>", "configuration file (YAML)")
  .action(async (opts: { config: string }) => {
    const file = resolve(opts.config);
    const loaded = await loadConfigFile(file);
    if (!loaded.ok) {
      process.stderr.write(`${formatIssues(loaded.errors)}\n${loaded.errors.length} error(s)\n`);
      process.exit(1);
    }
    const pools = new PoolRegistry();
    const compiled = compileLoaded(loaded.config, pools, (p) => ({ file, ...locate(loaded.source, p) }));
    await pools.closeAll();
    if (!compiled.ok) {
      process.stderr.write(`${formatIssues(compiled.issues)}\n${compiled.issues.length} error(s)\n`);
      process.exit(1);
    }
    process.stdout.write(`${file}: ok (${loaded.config.routes.length} routes)\n`);
  });

program
  .command("hash-secret")
  .description("hash a consumer credential for the config; the secret is read from stdin, never argv")
  .option("--api-key", "hash an API key (SHA-256)")
  .option("--password", "hash a Basic password (scrypt)")
  .option("--generate", "with --api-key: make a new random key and print it with its hash")
  .action(async (opts: { apiKey?: boolean; password?: boolean; generate?: boolean }) => {
    if (opts.apiKey === opts.password) {
      process.stderr.write("give exactly one of --api-key or --password\n");
      process.exit(2);
    }
    if (opts.apiKey && opts.generate) {
      const key = generateApiKey();
      process.stdout.write(`key:  ${key}\nhash: ${hashApiKey(key)}\n`);
      return;
    }
    const secret = (await readStdin()).replace(/\r?\n$/, "");
    if (secret === "") {
      process.stderr.write("nothing on stdin\n");
      process.exit(2);
    }
    process.stdout.write(`${opts.apiKey ? hashApiKey(secret) : await hashPassword(secret)}\n`);
  });

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`portcullis: ${(err as Error).stack ?? err}\n`);
  process.exit(2);
});
