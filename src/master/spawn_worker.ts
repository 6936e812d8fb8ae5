/**
 * Starts one worker process (`__worker`: the worker's entry point, or this
 * program again; see `self_command.ts`), with the parent's environment plus
 * `_HERD_WORKER` and its own `OTEL_RESOURCE_ATTRIBUTES` (see
 * `worker_env.ts`), stdin piped and never written (the worker exits on its EOF
 * when the master dies), stdout and stderr shared with the master.
 *
 * @module
 */
import type { ExitStatus } from "../hooks.ts";
import type { WorkerProcess } from "./process_driver.ts";
import { currentRuntime, type SelfRuntime, workerCommand } from "./self_command.ts";
import { telemetryEnvFor, workerEnvironment } from "./worker_env.ts";
import { WORKER_ENV, type WorkerIdentity } from "../ipc/protocol.ts";

/**
 * The environment of a worker: the parent's plus its identity.
 */
function workerEnv(
  identity: WorkerIdentity,
  parent: Record<string, string>,
): Record<string, string> {
  return { ...parent, [WORKER_ENV]: JSON.stringify(identity) };
}

/** How to start a worker besides its identity: the runtime (permission flags) and its ids. */
export interface WorkerLaunch {
  /** Default: {@linkcode currentRuntime}, with `-A`. */
  runtime?: SelfRuntime;
  /** `user`: the worker's uid; null or absent keeps the master's. */
  uid?: number | null;
  /** `group`: the worker's gid; null or absent keeps the master's. */
  gid?: number | null;
  /** The .env file's variables the master's environment does not set (or sets empty). */
  env?: Readonly<Record<string, string>>;
}

/**
 * Spawns a worker with {@linkcode WORKER_ENV} set.
 *
 * @example
 * ```ts
 * import { spawnWorker } from "./spawn_worker.ts";
 * const worker = spawnWorker({ id: 1, token: crypto.randomUUID(), control: "/tmp/c.sock" }, {
 *   uid: 33, gid: 33, // www-data; the master must be root
 * });
 * console.log(worker.pid, await worker.status);
 * ```
 */
export function spawnWorker(
  identity: WorkerIdentity,
  launch: WorkerLaunch = {},
): WorkerProcess {
  const { command, args } = workerCommand(launch.runtime ?? currentRuntime());
  const child = new Deno.Command(command, {
    args,
    // With the .env file's variables, its OTEL_RESOURCE_ATTRIBUTES included.
    env: workerEnv(identity, telemetryEnvFor(identity.id, workerEnvironment(launch.env))),
    clearEnv: true,
    stdin: "piped",
    stdout: "inherit",
    stderr: "inherit",
    // Set only when switching: Deno.Command rejects ids for an unprivileged parent.
    ...(launch.uid != null ? { uid: launch.uid } : {}),
    ...(launch.gid != null ? { gid: launch.gid } : {}),
  }).spawn();
  const status: Promise<ExitStatus> = child.status.then((s) => ({
    code: s.code,
    signal: s.signal,
  }));
  let exited = false;
  status.then(() => exited = true);
  return {
    pid: child.pid,
    status,
    kill(signal) {
      if (exited) return;
      try {
        child.kill(signal);
      } catch {
        // Exited between the check and the kill: nothing left to signal.
      }
    },
  };
}
