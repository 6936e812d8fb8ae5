/**
 * Pure decisions about crashed workers: how long to wait before the next
 * replacement, whether an exit was a boot failure (which halts the master
 * during the initial start instead of looping, Gunicorn's rule), and whether
 * a spawn that failed was the worker's failure at all.
 *
 * @module
 */
import { ExitCode } from "../ipc/protocol.ts";
import type { ExitStatus } from "../hooks.ts";
import { descriptorShortageOf, whoLacksDescriptors } from "../platform/file_descriptors.ts";
import { isOsError } from "../error_text.ts";

/** How restarts slow down after repeated crashes. */
export interface BackoffPolicy {
  /** Delay before the second consecutive replacement; the first is immediate. */
  initialMs: number;
  /** The delay never exceeds this. */
  maxMs: number;
  /** A worker that stayed up this long resets the crash count. */
  resetAfterMs: number;
  /**
   * When a crash leaves no worker serving, its replacement starts this long after the crashed
   * worker became ready, or at once if that is past: the backoff never holds the service down.
   */
  lastCapacityMs: number;
}

/**
 * 0.1 s doubling to 30 s; forgiven after a worker lived 10 s; the last worker serving replaced
 * within 1 s of its ready.
 */
export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 100,
  maxMs: 30_000,
  resetAfterMs: 10_000,
  lastCapacityMs: 1_000,
};

/**
 * The delay before replacing a worker after `crashes` consecutive crashes:
 * 0 for the first, then `initialMs` doubling up to `maxMs`.
 *
 * @example
 * ```ts
 * import { crashDelayMs } from "./crash_backoff.ts";
 * crashDelayMs(1); // 0
 * crashDelayMs(3); // 200
 * ```
 */
export function crashDelayMs(crashes: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (crashes <= 1) return 0;
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(crashes - 2, 30));
}

/**
 * The delay before the next start after `crashes` consecutive crashes, the
 * last of a worker that had been serving for `upMs` (null: it never became
 * ready). While other workers serve, it is {@linkcode crashDelayMs}. When
 * none does (`othersServing` false), a worker that had served is replaced no
 * later than `lastCapacityMs` after it became ready: waiting out the backoff
 * would then be an outage, as when an OOM killer takes workers one by one,
 * yet an app that dies as soon as it serves still restarts at most once a
 * second. A worker that never served was no capacity, and waits in full.
 *
 * @example
 * ```ts
 * import { replacementDelayMs } from "./crash_backoff.ts";
 * replacementDelayMs(7, { upMs: 1_500, othersServing: true }); // 3200
 * replacementDelayMs(7, { upMs: 1_500, othersServing: false }); // 0
 * replacementDelayMs(7, { upMs: 300, othersServing: false }); // 700
 * replacementDelayMs(7, { upMs: null, othersServing: false }); // 3200
 * ```
 */
export function replacementDelayMs(
  crashes: number,
  crash: { upMs: number | null; othersServing: boolean; policy?: BackoffPolicy },
): number {
  const policy = crash.policy ?? DEFAULT_BACKOFF;
  const delay = crashDelayMs(crashes, policy);
  if (crash.othersServing || crash.upMs === null) return delay;
  return Math.min(delay, Math.max(0, policy.lastCapacityMs - crash.upMs));
}

/**
 * The consecutive-crash count after one more crash of a worker that had been
 * up for `upMs`: a long-lived worker starts the count again.
 *
 * @example
 * ```ts
 * import { countCrash } from "./crash_backoff.ts";
 * countCrash(4, { upMs: 50 }); // 5
 * countCrash(4, { upMs: 60_000 }); // 1
 * ```
 */
export function countCrash(
  previous: number,
  crash: { upMs: number; policy?: BackoffPolicy },
): number {
  const policy = crash.policy ?? DEFAULT_BACKOFF;
  return crash.upMs >= policy.resetAfterMs ? 1 : previous + 1;
}

// What a person or a supervisor sends to stop a process. The master never sends them to a
// worker that has not booted (it kills those), so they come from elsewhere.
const OUTSIDE_STOPS: ReadonlySet<string> = new Set(["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP"]);

/**
 * True when a worker was ended by a stop signal (TERM, INT, QUIT, HUP) from
 * outside Herd: not the app's failure, so not a boot failure either.
 *
 * @example
 * ```ts
 * import { isStoppedFromOutside } from "./crash_backoff.ts";
 * isStoppedFromOutside({ code: 143, signal: "SIGTERM" }); // true
 * isStoppedFromOutside({ code: 137, signal: "SIGKILL" }); // false
 * ```
 */
export function isStoppedFromOutside(status: ExitStatus): boolean {
  return status.signal !== null && OUTSIDE_STOPS.has(status.signal);
}

/**
 * True when an exit means the worker could not boot: it never reported
 * `ready`, or it exited with an app-load or bind error code. A worker stopped
 * from outside while it booted is not, unless that happened before in its
 * generation with none of it booted (`stoppedBefore`): an app that signals
 * itself on a fatal error would otherwise be replaced forever.
 *
 * @example
 * ```ts
 * import { isBootFailure } from "./crash_backoff.ts";
 * isBootFailure({ code: 4, signal: null }, { ready: true }); // true
 * isBootFailure({ code: 143, signal: "SIGTERM" }, { ready: false }); // false
 * isBootFailure({ code: 143, signal: "SIGTERM" }, { ready: false, stoppedBefore: true }); // true
 * ```
 */
export function isBootFailure(
  status: ExitStatus,
  worker: { ready: boolean; stoppedBefore?: boolean },
): boolean {
  if (status.signal === null) {
    if (status.code === ExitCode.AppLoadError || status.code === ExitCode.BindError) return true;
  }
  if (worker.ready) return false;
  return !isStoppedFromOutside(status) || (worker.stoppedBefore ?? false);
}

/** How soon a spawn the master (or the system) lacked the resources for is tried again. */
export const SPAWN_RETRY_MS = 1000;

/**
 * Who lacked what when a spawn threw: `the master is out of file
 * descriptors` (EMFILE: its own limit), `the system is out of file
 * descriptors` (ENFILE: the kernel's file table), `a process limit is
 * reached` (EAGAIN: the user's `ulimit -u`, a container's `pids.max`, the
 * system's) or `there is no memory for a new process` (ENOMEM). Such a
 * failure says nothing of the worker: it is tried again after
 * {@linkcode SPAWN_RETRY_MS}, counting no crash, or a growing backoff would
 * outlast the shortage. Null otherwise
 * (deno not executable by `user`, say): the worker's boot failure, under the
 * crash backoff.
 *
 * @example
 * ```ts
 * import { spawnShortage } from "./crash_backoff.ts";
 * spawnShortage(new Error("Failed to spawn 'deno': Too many open files (os error 24)")); // "the master is out of file descriptors"
 * spawnShortage(new Error("Failed to spawn 'deno': Too many open files in system (os error 23)")); // "the system is out of file descriptors"
 * spawnShortage(new Error("Failed to spawn 'deno': Resource temporarily unavailable (os error 11)")); // "a process limit is reached (ulimit -u, a container's pids.max)"
 * spawnShortage(new Error("Failed to spawn 'deno': Permission denied (os error 13)")); // null
 * ```
 */
export function spawnShortage(error: unknown): string | null {
  const descriptors = descriptorShortageOf(error);
  if (descriptors !== null) return whoLacksDescriptors(descriptors, "the master");
  // fork's EAGAIN is a limit on processes: the user's (RLIMIT_NPROC), the cgroup's, the system's.
  if (isOsError(error, "EAGAIN")) {
    return "a process limit is reached (ulimit -u, a container's pids.max)";
  }
  if (isOsError(error, "ENOMEM")) return "there is no memory for a new process";
  return null;
}
