/**
 * Imports the app the way a worker will, in a process with the workers'
 * permissions and user: `check` itself runs with every permission, so an
 * app that reads `DATABASE_URL` at import passed it and then failed every
 * worker.
 *
 * @example
 * ```ts
 * import { probeWorkerImport } from "./probe_worker_import.ts";
 * import type { Resolved } from "../settings/resolved.ts";
 * declare const resolved: Resolved;
 * await probeWorkerImport(resolved, { uid: null, gid: null }); // null: workers can load it
 * ```
 *
 * @module
 */
import type { Resolved } from "../settings/resolved.ts";
import { controlSocketPath } from "../ipc/control_path.ts";
import { workerConfigPath } from "../master/master_hooks.ts";
import { currentRuntime, HERD_MAIN, selfCommand } from "../master/self_command.ts";
import { workerLaunch } from "../master/worker_launch.ts";
import type { WorkerUser } from "../master/worker_user.ts";
import { after } from "../platform/timer.ts";

const PROBE = new URL("../worker/import_probe.ts", import.meta.url).href;

/**
 * Why a worker could not import the app (or config.ts, when workers import
 * it), in one line; null when it can, or when nothing narrows the workers (a
 * compiled binary's workers have what the binary has).
 *
 * @example
 * ```ts
 * import { probeWorkerImport } from "./probe_worker_import.ts";
 * import type { Resolved } from "../settings/resolved.ts";
 * declare const resolved: Resolved;
 * const problem = await probeWorkerImport(resolved, { uid: null, gid: null });
 * if (problem) console.error(`error: ${problem}`);
 * ```
 */
export async function probeWorkerImport(
  resolved: Resolved,
  user: WorkerUser,
): Promise<string | null> {
  const runtime = currentRuntime();
  if (runtime.standalone || runtime.mainModule !== HERD_MAIN) return null;
  const s = resolved.settings;
  const launch = workerLaunch(resolved, { user, control: controlSocketPath(s), port: s.port });
  const { command, args } = selfCommand({ ...launch.runtime!, mainModule: PROBE }, [
    s.app ?? "",
    workerConfigPath(resolved) ?? "",
  ]);
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    ...(user.uid !== null ? { uid: user.uid } : {}),
    ...(user.gid !== null ? { gid: user.gid } : {}),
  }).spawn();
  // A top-level await that never settles: a worker would be killed at boot_timeout too.
  let timedOut = false;
  const timer = after(s.boot_timeout * 1000, () => {
    timedOut = true;
    child.kill("SIGKILL");
  });
  const { code, stderr } = await child.output();
  timer.cancel();
  if (timedOut) {
    return `A worker would not finish importing the app within boot_timeout (${s.boot_timeout} s)`;
  }
  if (code === 0) return null;
  const reason = new TextDecoder().decode(stderr).trim().split("\n").at(-1) || `exit code ${code}`;
  return `A worker cannot load what this check loaded with every permission: ${reason}`;
}
