/**
 * Herd as a library: `serve(app, config)` runs a program's own app under
 * Herd, so an app and Herd ship together as one `deno compile` binary.
 *
 * The same program is the master and its workers: the master re-executes
 * it for each worker, and `serve()` tells the roles apart by the worker's
 * environment. In the master, the program's command line is Herd's
 * (`serve`, `check`, `config`, `status`, `reopen-logs`, every flag); the
 * `config` object takes config.ts's place, and `.env`, the environment and
 * flags still override it.
 *
 * @example my_service.ts
 * ```ts
 * import { defineConfig, serve } from "./mod.ts";
 * const app = { fetch: (_req: Request) => new Response("hello\n") };
 * await serve(app, defineConfig({ envPrefix: "MYSVC", workers: 2 }));
 * // deno compile -A --unstable-net -o my_service my_service.ts
 * // ./my_service --port 8080   ·   ./my_service check   ·   ./my_service status
 * ```
 *
 * @module
 */
import type { UserConfig } from "./settings/user_config.ts";
import type { Embedded } from "./embedded.ts";
import { ExitCode, PROBE_ENV, WORKER_ENV } from "./ipc/protocol.ts";
import { embeddedApp } from "./worker/load_app.ts";
import type { FetchHandler } from "./worker/request_guard.ts";
import { errorMessage } from "./error_text.ts";
import { holdEarlySignals } from "./platform/early_signals.ts";
import { exitProcess } from "./platform/guard_user_code.ts";

/** What `serve()` accepts as an app: what `deno serve` accepts as a default export. */
export type App = FetchHandler | { fetch: FetchHandler };

/**
 * Runs Herd with `app` and `config` and exits the process with Herd's exit
 * code; never returns.
 *
 * @example
 * ```ts
 * import { serve } from "./serve.ts";
 * await serve((_req) => new Response("hi\n"), { workers: 2 });
 * ```
 */
export async function serve(app: App, config: UserConfig = {}): Promise<never> {
  if (Deno.env.get(WORKER_ENV) === undefined) holdEarlySignals();
  let embedded: Embedded;
  try {
    embedded = { app: embeddedApp(app), config };
  } catch (error) {
    console.error(`error: ${errorMessage(error)}`);
    return Deno.exit(ExitCode.AppLoadError);
  }
  // Run by the master as the import probe: the program's imports loaded with the workers'
  // permissions (or Deno ended it with the reason on stderr).
  const probe = Deno.env.get(PROBE_ENV);
  if (probe !== undefined) {
    const { runImportProbe } = await import("./worker/import_probe.ts");
    return Deno.exit(await runImportProbe(JSON.parse(probe)));
  }
  if (Deno.env.get(WORKER_ENV) !== undefined) {
    const { runWorker } = await import("./worker/worker.ts");
    return Deno.exit(await runWorker({ embedded }));
  }
  const { runCli } = await import("./cli/commands.ts");
  // Not Deno.exit: a hook the master stopped waiting for may still be refusing it.
  return exitProcess(await runCli([...Deno.args], { embedded }));
}
