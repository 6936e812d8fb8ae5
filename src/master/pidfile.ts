/**
 * The master's pidfile: written at start, renamed to `<path>.oldbin` when a
 * USR2 upgrade hands over to a new master, removed at exit (only while it
 * still holds this master's pid, so a successor's file is never deleted).
 *
 * @module
 */
import { createAndRemoveIn } from "../platform/dry_run.ts";
import { parentDirectory, pathExists } from "../platform/path_exists.ts";
import { osErrorReason } from "../error_text.ts";
import { ExitCode } from "../ipc/protocol.ts";

/**
 * Writes `pid` to `path`, unless the file names another process that is
 * still running this program's runtime (another master with the same
 * pidfile: overwriting it, then removing it at exit, would leave that master
 * unreachable by its pidfile). A pid the system has given to another program
 * since (after a reboot, in a new container) is stale, and overwritten.
 * No directory is made for it.
 *
 * With `dryRun` (`check`), nothing is written: an existing file is opened
 * for writing (not truncated), and a missing one must be creatable where it
 * goes, which a file made and removed there at once proves.
 *
 * @throws {Deno.errors.AlreadyExists} when a running master may hold the file
 * @throws {Deno.errors.NotFound} `no directory "/run/herd"`
 * @example
 * ```ts
 * import { writePidfile } from "./pidfile.ts";
 * await writePidfile("/tmp/herd.pid", Deno.pid, { dryRun: true });
 * await writePidfile("/tmp/herd.pid", Deno.pid);
 * ```
 */
export async function writePidfile(
  path: string,
  pid: number,
  options: { dryRun?: boolean } = {},
): Promise<void> {
  const held = await heldPidfile(path, pid);
  if (held !== null) {
    throw new Deno.errors.AlreadyExists(`it names process ${held}, which is running`);
  }
  try {
    if (!options.dryRun) await Deno.writeTextFile(path, `${pid}\n`);
    else if (pathExists(path)) (await Deno.open(path, { write: true })).close();
    else await createAndRemoveIn(parentDirectory(path));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Deno.errors.NotFound(`no directory "${parentDirectory(path)}"`);
  }
}

/**
 * What serve says, and the exit code it stops with (2), when the pidfile
 * `pidfile` (as configured) cannot be written: {@linkcode writePidfile}
 * threw `error`.
 *
 * @example
 * ```ts
 * import { pidfileRefusal } from "./pidfile.ts";
 * pidfileRefusal("/run/herd.pid", new Deno.errors.PermissionDenied("Permission denied"));
 * // { message: 'Cannot write the pidfile "/run/herd.pid" (pidfile): Permission denied', code: 2 }
 * ```
 */
export function pidfileRefusal(
  pidfile: string,
  error: unknown,
): { message: string; code: ExitCode } {
  return {
    message: `Cannot write the pidfile "${pidfile}" (pidfile): ${osErrorReason(error)}`,
    code: ExitCode.Usage,
  };
}

/**
 * The pid in the pidfile at `path` when that process may be a running
 * master other than `self` (see {@linkcode mayBeMaster}); null when the file
 * is missing, stale or this process's.
 *
 * @example
 * ```ts
 * import { heldPidfile } from "./pidfile.ts";
 * await heldPidfile("/tmp/no-such-herd.pid"); // null
 * ```
 */
export async function heldPidfile(path: string, self = Deno.pid): Promise<number | null> {
  const held = await readPid(path);
  return held !== null && held !== self && mayBeMaster(held) ? held : null;
}

/**
 * Whether `pid` may be a Herd master, from Linux's /proc: running (not a zombie), and the same
 * executable as this process (Deno, or this compiled binary). One whose executable cannot be
 * read (another user's) is taken as a master. Without /proc it cannot be told without
 * signalling: false.
 *
 * @example
 * ```ts
 * import { mayBeMaster } from "./pidfile.ts";
 * mayBeMaster(Deno.pid); // true on Linux (false without /proc)
 * ```
 */
export function mayBeMaster(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return false;
  } catch {
    return false;
  }
  try {
    return Deno.realPathSync(`/proc/${pid}/exe`) === Deno.realPathSync(Deno.execPath());
  } catch {
    return true;
  }
}

/**
 * Renames `path` to `<path>.oldbin` and returns the new path.
 *
 * @example
 * ```ts
 * import { retirePidfile } from "./pidfile.ts";
 * await retirePidfile("/tmp/herd.pid"); // "/tmp/herd.pid.oldbin"
 * ```
 */
export async function retirePidfile(path: string): Promise<string> {
  const oldbin = retiredPath(path);
  await Deno.rename(path, oldbin);
  return oldbin;
}

function retiredPath(path: string): string {
  return `${path}.oldbin`;
}

/**
 * Removes the pidfile at `path`, and its `.oldbin` name (where a USR2
 * hand-over put it), wherever it still names `pid`.
 *
 * @example
 * ```ts
 * import { removePidfile } from "./pidfile.ts";
 * await removePidfile("/tmp/herd.pid", Deno.pid);
 * ```
 */
export async function removePidfile(path: string, pid: number): Promise<void> {
  for (const name of [path, retiredPath(path)]) {
    if (await readPid(name) === pid) await Deno.remove(name).catch(() => {});
  }
}

/**
 * Removes the `.oldbin` pidfile a master that is gone left: one naming
 * `predecessor` (an upgraded master's, once it has exited), or, with null (a
 * fresh start), one naming no running master. A later USR2 of this master
 * puts its own pid there, which is left alone.
 *
 * @example
 * ```ts
 * import { clearRetiredPidfile } from "./pidfile.ts";
 * await clearRetiredPidfile("/tmp/herd.pid", null);
 * ```
 */
export async function clearRetiredPidfile(
  path: string,
  predecessor: number | null,
): Promise<void> {
  const oldbin = retiredPath(path);
  const named = await readPid(oldbin);
  if (named === null) return;
  const gone = predecessor === null ? await heldPidfile(oldbin) === null : named === predecessor;
  if (gone) await Deno.remove(oldbin).catch(() => {});
}

// The pid a pidfile holds, or null (missing, unreadable, or not a pid).
async function readPid(path: string): Promise<number | null> {
  const pid = Number((await Deno.readTextFile(path).catch(() => "")).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}
