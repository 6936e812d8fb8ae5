/**
 * Lifecycle hooks: functions a user declares in config.ts, called by the
 * master or a worker at documented moments.
 *
 * Hooks run in the master unless noted; `post_worker_init`, `pre_request`
 * and `post_request` run in the worker. A hook that throws (or rejects) is
 * logged with its name and does not crash anything: see {@linkcode runHook}.
 *
 * @example
 * ```ts
 * import { defineConfig } from "./config.ts";
 * export default defineConfig({
 *   post_fork: (master, worker) => master.log.info(`Worker spawned (pid: ${worker.pid})`),
 * });
 * ```
 *
 * @module
 */
import type { Logger } from "./logging/log.ts";
import { errorMessage, withUserStack } from "./error_text.ts";

/** What a master-side hook sees of one worker. */
export interface WorkerInfo {
  /** Stable slot number, 1..workers. A replacement keeps its predecessor's id. */
  readonly id: number;
  /** OS process id (0 before spawn, in `pre_fork`). */
  readonly pid: number;
  /** Increases by one on every reload. */
  readonly generation: number;
}

/**
 * Why a worker left. `timeout`: it was blocked for `timeout` and killed, or, for a `sync`
 * worker, a request ran past `timeout` and it was replaced (the `WORKER TIMEOUT` log line tells
 * the first). `signal`: it drained on its own, told by something other than its master (a
 * SIGTERM from elsewhere), and was replaced. `server_stopped`: Deno's server stopped
 * accepting connections by itself (an accept failed, with no file descriptor left say), so it
 * drained and was replaced.
 */
export type ExitReason =
  | "max_requests"
  | "max_memory"
  | "max_age"
  | "timeout"
  | "crash"
  | "boot_failure"
  | "signal"
  | "server_stopped"
  | "reload"
  | "scale_down"
  | "shutdown";

/** How a worker process ended. */
export interface ExitStatus {
  /** The exit code; 128 + the signal number when a signal ended it. */
  readonly code: number;
  /** The signal that ended it (`SIGKILL`...), or null for a normal exit. */
  readonly signal: string | null;
}

/** What every master-side hook receives first. */
export interface MasterContext {
  /** The master's pid. */
  readonly pid: number;
  /**
   * The effective settings (plain data). `workers` is the configured count
   * as a number (`"auto"` resolved); after `TTIN`/`TTOU` the live ones are
   * {@linkcode MasterContext.workers}.
   */
  readonly settings: Readonly<Record<string, unknown>>;
  /** The workers alive at the moment of the call. */
  readonly workers: readonly WorkerInfo[];
  /** The error log, so hook output lands where Herd's own lines do. */
  readonly log: Logger;
}

/** What worker-side hooks receive first. */
export interface WorkerContext {
  /** Stable slot number, 1..workers. */
  readonly id: number;
  /** This worker's pid. */
  readonly pid: number;
  /** Increases by one on every reload. */
  readonly generation: number;
  /** The error log, as for master-side hooks. */
  readonly log: Logger;
}

/** What a hook returns: nothing, or a promise Herd waits for. */
export type MaybePromise = void | Promise<void>;

/** Every hook, with its signature. Each is optional in config.ts. */
export interface Hooks {
  /** Before the master starts anything. */
  on_starting: (master: MasterContext) => MaybePromise;
  /** On a reload (HUP), after the configuration was re-read. */
  on_reload: (master: MasterContext) => MaybePromise;
  /** When every worker is listening, after start. */
  when_ready: (master: MasterContext) => MaybePromise;
  /** Just before a worker is spawned (pid is 0). */
  pre_fork: (master: MasterContext, worker: WorkerInfo) => MaybePromise;
  /** Just after a worker is spawned. */
  post_fork: (master: MasterContext, worker: WorkerInfo) => MaybePromise;
  /** In the worker, after the app is loaded and before it listens. */
  post_worker_init: (worker: WorkerContext) => MaybePromise;
  /** When the master kills a worker for a timeout (before SIGABRT). */
  worker_abort: (master: MasterContext, worker: WorkerInfo) => MaybePromise;
  /** When the master tells a worker to leave, with the reason. */
  worker_exit: (master: MasterContext, worker: WorkerInfo, reason: ExitReason) => MaybePromise;
  /** After a worker process has ended, with its exit status. */
  child_exit: (master: MasterContext, worker: WorkerInfo, status: ExitStatus) => MaybePromise;
  /** After the target worker count changed (TTIN/TTOU, reload). */
  nworkers_changed: (master: MasterContext, next: number, previous: number) => MaybePromise;
  /** In the worker, before the app sees a request. */
  pre_request: (worker: WorkerContext, request: Request) => MaybePromise;
  /** In the worker, after the app answered (or timed out). */
  post_request: (
    worker: WorkerContext,
    request: Request,
    response: Response,
    durationMs: number,
  ) => MaybePromise;
  /** Just before the master exits. */
  on_exit: (master: MasterContext) => MaybePromise;
}

/** The name of a hook. */
export type HookName = keyof Hooks;

/** Hooks run in the worker; all others run in the master. */
export const WORKER_HOOKS = [
  "post_worker_init",
  "pre_request",
  "post_request",
] as const satisfies readonly HookName[];

/** The name of a hook that runs in the worker. */
export type WorkerHookName = (typeof WORKER_HOOKS)[number];

/**
 * Calls a hook if it is set. A throw or rejection is reported through
 * `onError` with the hook's name, never propagated: the returned promise
 * never rejects (a request waits on `pre_request`'s), even when `onError`
 * itself fails on what was thrown.
 *
 * @example
 * ```ts
 * import { type MasterContext, runHook } from "./hooks.ts";
 * const master = {} as MasterContext;
 * await runHook("when_ready", undefined, [master], (name, e) => console.error(name, e));
 * ```
 */
export async function runHook<N extends HookName>(
  name: N,
  hook: Hooks[N] | null | undefined,
  args: Parameters<Hooks[N]>,
  onError: (name: N, error: unknown) => void,
): Promise<void> {
  if (!hook) return;
  try {
    // deno-lint-ignore no-explicit-any
    await (hook as (...a: any[]) => MaybePromise)(...args);
  } catch (error) {
    try {
      onError(name, error);
    } catch {
      // The reporter failed on this value too: nothing more can be said of it.
    }
  }
}

/**
 * The `onError` of {@linkcode runHook} that Herd uses: one error record
 * naming the hook, with the error (and so its stack) attached.
 *
 * @example
 * ```ts
 * import { hookFailureLogger, runHook } from "./hooks.ts";
 * import { getLog } from "./logging/log.ts";
 * await runHook("when_ready", () => {
 *   throw new Error("boom");
 * }, [{} as never], hookFailureLogger(getLog("master"))); // Hook "when_ready" failed: boom
 * ```
 */
export function hookFailureLogger(log: Logger): (name: HookName, error: unknown) => void {
  return (name, error) => {
    // The error as a property (text lines add its stack, JSON lines carry it whole), when it
    // is a real Error with a stack to show: anything may be thrown.
    // config.ts is imported as `config.ts?load=<n>` (a reload must not get the cached module):
    // its stack names the file as the user wrote it.
    const withStack = withUserStack(error);
    log.error(
      `Hook "${name}" failed: ${errorMessage(error)}`,
      withStack ? { error: withStack } : {},
    );
  };
}
