/**
 * The stand-in for a worker of `preload` and `check`: a process started with the
 * workers' permissions (and user) that imports the app, and config.ts when
 * workers would, and reaches the log files' directories, then exits. An
 * app that reads a variable or a file the workers may not, or a log in a
 * directory their user cannot enter, would otherwise pass `check` (which
 * runs with every permission, often as root) and fail every worker at boot.
 *
 * Usage: `deno run <worker permissions> import_probe.ts APP CONFIG [LOG...]`
 * (APP and CONFIG may be empty). Prints `PROBE_LOADED` and exits 0 when
 * everything loads; otherwise prints one line on stderr and exits with a
 * `PROBE_EXIT` code (both in `protocol.ts`).
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
import { firstLine, osErrorReason } from "../error_text.ts";
import { PROBE_EXIT, PROBE_LOADED } from "../ipc/protocol.ts";
import { loadApp } from "./load_app.ts";
import { loadWorkerHooks } from "./worker_hooks.ts";

if (import.meta.main) {
  const [app = "", config = "", ...logs] = Deno.args;
  try {
    if (app !== "") await loadApp(app, Deno.cwd());
    // Which profile's hooks does not matter: the import is what may fail.
    if (config !== "") await loadWorkerHooks({ configPath: config, profile: "" });
  } catch (error) {
    console.error(firstLine(error));
    Deno.exit(PROBE_EXIT.import);
  }
  for (const log of logs) {
    const problem = unreachableLog(log);
    if (problem !== null) {
      console.error(problem);
      Deno.exit(PROBE_EXIT.log);
    }
  }
  console.log(PROBE_LOADED);
  Deno.exit(0);
}

// The master creates a log file and hands it to the workers' user; that user must still be
// able to enter its directory. One the master will create is its (enterable) own.
function unreachableLog(path: string): string | null {
  try {
    // Looking the file up takes the search permission on its directories that opening it does
    // (absent: its directory could be searched, or will be the master's new one).
    Deno.statSync(path);
    return null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    const dir = path.slice(0, path.lastIndexOf("/")) || "/";
    return `A worker cannot open the log file "${path}": ${osErrorReason(error)} on "${dir}"`;
  }
}
