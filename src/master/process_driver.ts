/**
 * The seam between the arbiter and real processes. The arbiter only spawns
 * workers and signals them through a {@linkcode ProcessDriver}; unit tests
 * pass a fake one and script exits, while {@linkcode denoProcessDriver}
 * re-executes this program with `Deno.Command`.
 *
 * @module
 */
import type { ExitStatus } from "../hooks.ts";
import type { Resolved } from "../settings/resolved.ts";
import { spawnWorker, type WorkerLaunch } from "./spawn_worker.ts";

/** A worker process as the arbiter sees it. */
export interface WorkerProcess {
  readonly pid: number;
  /** Resolves once, when the process has ended. */
  readonly status: Promise<ExitStatus>;
  /** Sends a signal; a no-op when the process is already gone. */
  kill(signal: Deno.Signal): void;
}

/** What the arbiter asks for when it starts a worker. */
export interface SpawnRequest {
  /** The worker's slot number. */
  id: number;
  /** Random per spawn; the worker echoes it in `hello`. */
  token: string;
  /** The configuration the worker boots with (its generation's, after a reload). */
  resolved: Resolved;
}

/** Starts worker processes. */
export interface ProcessDriver {
  spawn(request: SpawnRequest): WorkerProcess;
}

/**
 * The real driver: each worker is this program run again as `__worker`,
 * told where the control socket is and, through `launch`, which
 * permissions and user it runs with. Both are asked at every spawn: a
 * reload that moves the app or its certificates moves the read scope too,
 * and a USR2 upgrade moves the control socket aside.
 *
 * @example
 * ```ts
 * import { denoProcessDriver } from "./process_driver.ts";
 * const driver = denoProcessDriver({ control: () => "/tmp/herd-1000/127.0.0.1_8080.sock" });
 * // const worker = driver.spawn({ id: 1, token: crypto.randomUUID(), resolved });
 * ```
 */
export function denoProcessDriver(
  options: { control: () => string; launch?: (resolved: Resolved) => WorkerLaunch },
): ProcessDriver {
  return {
    spawn: ({ id, token, resolved }) =>
      spawnWorker({ id, token, control: options.control() }, options.launch?.(resolved)),
  };
}
