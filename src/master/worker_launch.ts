/**
 * How the master starts its workers: the user they run as and, in script
 * mode, their Deno permissions ({@linkcode workerPermissions}), gathered
 * into a {@linkcode WorkerLaunch} for the process driver at every spawn,
 * from the configuration that worker boots with.
 *
 * @example
 * ```ts
 * import { workerLaunch } from "./worker_launch.ts";
 * // denoProcessDriver({
 * //   control: () => control.workerPath,
 * //   launch: (resolved) => workerLaunch(resolved, { user, control: control.workerPath, port }),
 * // });
 * ```
 *
 * @module
 */
import { logFile } from "../logging/line_writer.ts";
import type { Resolved } from "../settings/resolved.ts";
import { appProject, projectDirOf } from "./app_project.ts";
import { workerConfigPath } from "./master_hooks.ts";
import { currentRuntime, programPath } from "./self_command.ts";
import type { WorkerLaunch } from "./spawn_worker.ts";
import { localHerdRoot, workerPermissions } from "./worker_permissions.ts";
import type { WorkerUser } from "./worker_user.ts";

/**
 * The launch of every worker of this master. `port` is the one actually
 * served (a free one when `port` is 0).
 *
 * @example
 * ```ts
 * import { workerLaunch } from "./worker_launch.ts";
 * // workerLaunch(resolved, { user: { uid: 33, gid: 33 }, control: "/tmp/herd-0/c.sock", port: 8080 });
 * ```
 */
export function workerLaunch(
  resolved: Resolved,
  facts: { user: WorkerUser; control: string; port: number },
): WorkerLaunch {
  const runtime = currentRuntime();
  const program = programPath(runtime);
  // A remote program's directory is no local one to read.
  const localProgram = program?.startsWith("/") ? program : null;
  const project = runtime.standalone ? null : appProject(localProgram ?? resolved.settings.app);
  const permissions = workerPermissions({ ...resolved.settings, port: facts.port }, {
    program: localProgram,
    projectDir: project === null ? null : projectDirOf(project),
    herdRoot: localHerdRoot(),
    cwd: Deno.cwd(),
    control: facts.control,
    // Read only if the worker imports it: only for a worker-side hook.
    configPath: workerConfigPath(resolved),
  });
  // Herd's own main.ts: the app's project's deno.json, not Herd's (a program finds its own).
  const configFlags = program === null && project !== null ? project.flags : [];
  return {
    runtime: { ...runtime, permissions, configFlags },
    ...facts.user,
    env: resolved.dotenv,
  };
}

/**
 * Gives the workers' user the log files the master created, so workers
 * that run as another user can append to them (and reopen them after
 * rotation). A no-op when the workers keep the master's user.
 *
 * @example
 * ```ts
 * import { handLogsTo } from "./worker_launch.ts";
 * await handLogsTo({ uid: 33, gid: 33 }, ["logs/error.log", "-"]);
 * ```
 */
export async function handLogsTo(user: WorkerUser, paths: (string | null)[]): Promise<void> {
  if (user.uid === null && user.gid === null) return;
  for (const path of paths) {
    const file = logFile(path);
    if (file === null) continue;
    await Deno.chown(file, user.uid, user.gid).catch(() => {
      // Not created yet or not a file: the worker reports its own open error.
    });
  }
}
