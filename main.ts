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
import { runCli } from "./src/cli/commands.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}
