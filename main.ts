/**
 * Herd's entry point: one program that is both the master and its workers.
 *
 * ```sh
 * deno run -A main.ts serve app.ts --workers 4   # or: deno task serve
 * deno run -A main.ts check                      # validate config, import the app
 * deno run -A main.ts config --json              # effective settings with sources
 * deno run -A main.ts status                     # ask the running master
 * deno run -A main.ts --help
 * ```
 *
 * @module
 */
import { WORKER_COMMAND } from "./src/ipc/protocol.ts";
import { holdEarlySignals } from "./src/platform/early_signals.ts";
import { exitProcess } from "./src/platform/guard_user_code.ts";

if (import.meta.main) {
  // Before anything else loads: a HUP in the next ~30 ms would otherwise end the master.
  if (Deno.args[0] !== WORKER_COMMAND) holdEarlySignals();
  // Dynamic imports, so a worker of a compiled binary evaluates only the worker's modules
  // (lighter by the CLI and the settings resolver, whose node: imports cost ~4 MB). In script
  // mode a worker starts from src/worker/entry.ts instead (it says why).
  const code = Deno.args[0] === WORKER_COMMAND
    ? await (await import("./src/worker/worker.ts")).runWorker()
    : await (await import("./src/cli/commands.ts")).runCli(Deno.args);
  // Not Deno.exit: a hook the master stopped waiting for may still be refusing it.
  exitProcess(code);
}
