/**
 * `herd check`'s stand-in for a worker: a process started with the
 * workers' permissions (and user) that imports the app, and config.ts when
 * workers would, then exits. An app that reads a variable or a file the
 * workers may not would otherwise pass `check` (which runs with every
 * permission) and fail every worker at boot.
 *
 * Usage: `deno run <worker permissions> import_probe.ts APP CONFIG` (either
 * may be empty). Exits 0 when everything loads; otherwise prints one line
 * on stderr and exits 1.
 *
 * @example
 * ```ts
 * // new Deno.Command(Deno.execPath(), {
 * //   args: ["run", "--allow-read=/srv/site", "--no-prompt", "src/worker/import_probe.ts", "app.ts", ""],
 * // }).output();
 * ```
 *
 * @module
 */
import { firstLine } from "../error_text.ts";
import { loadApp } from "./load_app.ts";
import { loadWorkerHooks } from "./worker_hooks.ts";

if (import.meta.main) {
  const [app = "", config = ""] = Deno.args;
  try {
    if (app !== "") await loadApp(app, Deno.cwd());
    // Which profile's hooks does not matter: the import is what may fail.
    if (config !== "") await loadWorkerHooks({ configPath: config, profile: "" });
    Deno.exit(0);
  } catch (error) {
    console.error(firstLine(error));
    Deno.exit(1);
  }
}
