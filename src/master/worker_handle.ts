/**
 * The master's view of one worker (Puma's `worker_handle`): its process,
 * its channel once it said hello, what it last reported, its recycle
 * limits, and the deadline the master holds it to in its current state.
 *
 * @module
 */
import type { ExitReason, ExitStatus, WorkerInfo } from "../hooks.ts";
import type { RequestStats, WorkerStatus } from "../ipc/protocol.ts";
import type { Link } from "./events.ts";
import type { WorkerProcess } from "./process_driver.ts";
import type { RecycleLimits } from "./recycle_policy.ts";

/**
 * How long the master holds a worker's exit for its last frames (see
 * {@linkcode awaitsLastWords}) before reporting the exit without them.
 */
export const LAST_WORDS_MS = 500;

/**
 * Whether a worker's exit should wait for the rest of its channel (at most
 * {@linkcode LAST_WORDS_MS}): the exit and the worker's last frames reach
 * the master by separate paths, and the exit can come first.
 *
 * - A worker that served sends a final heartbeat as it leaves: its last
 *   counts, which `/metrics` and `status` keep for retired workers.
 * - A worker that fails to boot sends `boot_error` and exits at once;
 *   reported without it, the failure would read "exited with code 4"
 *   instead of the error itself. A worker that never connected waits the
 *   same, unless it was told to leave.
 *
 * @example
 * ```ts
 * import { awaitsLastWords } from "./worker_handle.ts";
 * awaitsLastWords({ readyAt: null, bootError: null, linkClosed: false, leaving: null }); // true
 * awaitsLastWords({ readyAt: 12, bootError: null, linkClosed: false, leaving: "max_requests" }); // true
 * awaitsLastWords({ readyAt: 12, bootError: null, linkClosed: true, leaving: null }); // false
 * ```
 */
export function awaitsLastWords(
  w: Pick<WorkerHandle, "readyAt" | "bootError" | "linkClosed" | "leaving">,
): boolean {
  if (w.linkClosed) return false;
  if (w.readyAt !== null) return true;
  return w.bootError === null && w.leaving === null;
}

/** The life of a worker as the master tracks it. */
export type WorkerState = "booting" | "ready" | "draining";

/** Everything fixed when a worker is spawned. */
export interface WorkerSpawn {
  serial: number;
  id: number;
  generation: number;
  token: string;
  process: WorkerProcess;
  limits: RecycleLimits;
  now: number;
}

// Orders retirement marks across every worker of the master.
let retireMarks = 0;

/** One worker, from spawn to reaped exit. */
export class WorkerHandle {
  /** Unique per spawn, unlike `id`, which a replacement inherits. */
  readonly serial: number;
  readonly id: number;
  readonly generation: number;
  readonly token: string;
  readonly process: WorkerProcess;
  readonly limits: RecycleLimits;
  readonly spawnedAt: number;
  state: WorkerState = "booting";
  /** Set once the worker said hello with the right token. */
  link: Link | null = null;
  #retire: ExitReason | null = null;
  /** When it was marked to retire, as a count of marks (0: not marked): replacements go in this order. */
  retireMark = 0;
  /** Why the master wants it replaced (it keeps serving until its successor is ready). */
  get retire(): ExitReason | null {
    return this.#retire;
  }
  set retire(reason: ExitReason | null) {
    this.#retire = reason;
    this.retireMark = reason === null ? 0 : ++retireMarks;
  }
  /** Why the master told it to leave; null means any exit is unexpected. */
  leaving: ExitReason | null = null;
  /** True once sent SIGABRT for a timeout: it is not judged again. */
  aborted = false;
  /** When it last reported (spawn time until then). */
  lastSeen: number;
  /**
   * When the master sent it its configuration, null before. Its boot runs from here: a
   * master held by a slow hook before reading its hello must not eat its `boot_timeout`.
   */
  configuredAt: number | null = null;
  readyAt: number | null = null;
  /** Clock time when it started draining (null until then); see `DRAIN_SETTLE_MS`. */
  drainedAt: number | null = null;
  /** SIGKILL is due at this clock time (set when draining, stopping or aborting). */
  killAt: number | null = null;
  /** The last `boot_error` message, printed if it exits before `ready`. */
  bootError: string | null = null;
  /** True once its channel was read to the end (every frame it sent is handled). */
  linkClosed = false;
  /** Its exit, held while its last frames may still be unread (see {@linkcode awaitsLastWords}). */
  exited: { status: ExitStatus; at: number } | null = null;
  stats: RequestStats | null = null;
  /** RSS in its first heartbeat: what it weighs before serving; null until then. */
  firstRss: number | null = null;

  /**
   * @example
   * ```ts
   * import { WorkerHandle } from "./worker_handle.ts";
   * const handle = new WorkerHandle({
   *   serial: 1, id: 1, generation: 0, token: "t", now: 0,
   *   process: { pid: 42, status: new Promise(() => {}), kill() {} },
   *   limits: { maxRequests: 0, maxRssBytes: 0, maxAgeMs: 0 },
   * });
   * ```
   */
  constructor(spawn: WorkerSpawn) {
    this.serial = spawn.serial;
    this.id = spawn.id;
    this.generation = spawn.generation;
    this.token = spawn.token;
    this.process = spawn.process;
    this.limits = spawn.limits;
    this.spawnedAt = spawn.now;
    this.lastSeen = spawn.now;
  }

  /** The OS pid. */
  get pid(): number {
    return this.process.pid;
  }

  /** `Worker 2 (pid: 1234)`, the prefix of every lifecycle log line. */
  get label(): string {
    return `Worker ${this.id} (pid: ${this.pid})`;
  }

  /** What hooks see. */
  info(): WorkerInfo {
    return { id: this.id, pid: this.pid, generation: this.generation };
  }

  /** One row of `status`. */
  status(now: number): WorkerStatus {
    return {
      id: this.id,
      pid: this.pid,
      generation: this.generation,
      state: this.state,
      ageS: Math.round((now - this.spawnedAt) / 100) / 10,
      served: this.stats?.served ?? 0,
      inFlight: this.stats?.inFlight ?? 0,
      rss: this.stats?.rss ?? 0,
    };
  }
}
