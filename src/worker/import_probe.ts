/**
 * The stand-in for a worker of `preload` and `check`: a process started with the
 * workers' permissions (and user) that imports the app, and config.ts when
 * workers would, and reaches the log files' directories, then exits. An
 * app that reads a variable or a file the workers may not, or a log in a
 * directory their user cannot enter, would otherwise pass `check` (which
 * runs with every permission, often as root) and fail every worker at boot.
 *
 * Usage: `deno run <worker permissions> import_probe.ts APP CONFIG [KIND:PATH...]`
 * (APP and CONFIG may be empty; `log:` and `control:` paths must be
 * reachable). Exits with `PROBE_EXIT.loaded` when everything loads (an exit
 * code 0 is then the app's own `Deno.exit(0)`); otherwise prints one line on
 * stderr and exits with another `PROBE_EXIT` code (`protocol.ts`).
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
import { PROBE_EXIT } from "../ipc/protocol.ts";
import { watchParent } from "./parent_watch.ts";
import { loadApp } from "./load_app.ts";
import { loadWorkerHooks } from "./worker_hooks.ts";

if (import.meta.main) {
  // The master may die meanwhile (by SIGKILL): do not outlive it, as a worker would not.
  watchParent({ onGone: () => Deno.exit(1) });
  const [app = "", config = "", ...paths] = Deno.args;
  try {
    if (app !== "") await loadApp(app, Deno.cwd());
    // Which profile's hooks does not matter: the import is what may fail.
    if (config !== "") await loadWorkerHooks({ configPath: config, profile: "" });
  } catch (error) {
    console.error(firstLine(error));
    Deno.exit(PROBE_EXIT.import);
  }
  for (const path of paths) {
    const problem = unreachable(path);
    if (problem !== null) {
      console.error(problem);
      Deno.exit(PROBE_EXIT.unreachable);
    }
  }
  Deno.exit(PROBE_EXIT.loaded);
}

// The master creates a log file (and the control socket) and hands it to the workers' user;
// that user must still be able to enter its directories. One the master will create is its
// (enterable) own. A path is `KIND:PATH` (`log:/srv/logs/a.log`, `control:/run/...sock`).
function unreachable(arg: string): string | null {
  const colon = arg.indexOf(":");
  const [kind, path] = [arg.slice(0, colon), arg.slice(colon + 1)];
  try {
    // Looking the file up takes the permission to enter each directory on its way that opening
    // it does (absent: its directory could be entered, or will be the master's new one).
    Deno.statSync(path);
    return null;
  } catch (error) {
    // Only the system's refusal counts: Deno's own (a path these permissions do not cover)
    // says nothing about this user.
    if (!(error instanceof Deno.errors.PermissionDenied)) return null;
    const what = kind === "control" ? "reach the control socket" : "open the log file";
    return `A worker cannot ${what} "${path}": no permission to enter a directory on its way`;
  }
}
