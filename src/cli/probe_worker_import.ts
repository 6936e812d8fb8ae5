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
import { logFile } from "../logging/line_writer.ts";
import { osErrorReason } from "../error_text.ts";
import { resolve } from "node:path";

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
  const logs = [s.error_log, s.access_log].map(logFile).filter((f) => f !== null)
    .map((f) => resolve(Deno.cwd(), f));
  const { command, args } = selfCommand({ ...launch.runtime!, mainModule: PROBE }, [
    s.app ?? "",
    workerConfigPath(resolved) ?? "",
    ...logs,
  ]);
  const as = s.user === null ? "" : ` as user "${s.user}"`;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      ...(user.uid !== null ? { uid: user.uid } : {}),
      ...(user.gid !== null ? { gid: user.gid } : {}),
    }).spawn();
  } catch (error) {
    return `A worker cannot start${as}: cannot run "${command}": ${osErrorReason(error)}`;
  }
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
  // The probe's own line; Deno's, when Deno stopped it first (`error: ...`, then a backtrace).
  const lines = new TextDecoder().decode(stderr).split("\n").filter((l) => l.trim() !== "");
  const reason = lines.find((l) => l.startsWith("error: "))?.slice(7) ?? lines.at(-1) ??
    `exit code ${code}`;
  return `${reason}${as && !reason.includes(as) ? ` (${as.trim()})` : ""}`;
}
