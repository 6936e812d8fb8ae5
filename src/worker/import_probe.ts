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
 * reachable). A program that calls `serve()` is its own probe instead: run
 * with `PROBE_ENV` set, it loads its imports and `serve()` calls
 * {@linkcode runImportProbe}. Exits with `PROBE_EXIT.loaded` when everything loads (an exit
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
import { PROBE_EXIT, type ProbeArgs } from "../ipc/protocol.ts";
import { holdEarlySignals } from "../platform/early_signals.ts";
import { watchParent } from "./parent_watch.ts";
import { loadApp } from "./load_app.ts";
import { loadWorkerHooks } from "./worker_hooks.ts";

if (import.meta.main) {
  const [app = "", config = "", ...paths] = Deno.args;
  Deno.exit(await runImportProbe({ app, config, paths }));
}

/**
 * Loads and checks what `args` names; prints a problem in one line on stderr. Resolves with
 * the {@linkcode PROBE_EXIT} code to exit with. Also what `serve()` runs in a program that
 * the master started as the probe (`PROBE_ENV`), once the program's imports have loaded.
 *
 * @example
 * ```ts
 * import { runImportProbe } from "./import_probe.ts";
 * await runImportProbe({ app: "", config: "", paths: [] }); // PROBE_EXIT.loaded
 * ```
 */
export async function runImportProbe(args: ProbeArgs): Promise<number> {
  // A HUP or TTIN sent to the master's process group (a terminal's hangup, `kill -- -PGID`)
  // is the master's to queue: the probe must not die of it, and be taken for a failed import.
  holdEarlySignals();
  // The master may die meanwhile (by SIGKILL): do not outlive it, as a worker would not.
  watchParent({ onGone: () => Deno.exit(1) });
  try {
    if (args.app !== "") await loadApp(args.app, Deno.cwd());
    // Which profile's hooks does not matter: the import is what may fail.
    if (args.config !== "") await loadWorkerHooks({ configPath: args.config, profile: "" });
  } catch (error) {
    // The app's own stack (for `log_level` debug), then the one line the master reports last.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    if (cause instanceof Error && cause.stack) console.error(cause.stack);
    console.error(firstLine(error));
    return PROBE_EXIT.import;
  }
  for (const path of args.paths) {
    const problem = unreachable(path);
    if (problem !== null) {
      console.error(problem);
      return PROBE_EXIT.unreachable;
    }
  }
  return PROBE_EXIT.loaded;
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
