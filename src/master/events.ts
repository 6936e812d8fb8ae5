/**
 * What wakes the master: signals, frames from workers and control commands,
 * worker exits, and changed files (with `reload`). Every source only pushes
 * onto one {@linkcode EventQueue} (Gunicorn's rule: a signal listener
 * queues, it never acts), and the arbiter handles one event at a time.
 *
 * @module
 */
import type { ControlRequest, Frame, HelloMessage, WorkerMessage } from "../ipc/protocol.ts";
import type { ExitStatus } from "../hooks.ts";

/** The signals the master acts on (never SIGUSR1: it opens Deno's inspector). */
export const MASTER_SIGNALS = [
  "SIGTERM",
  "SIGINT",
  "SIGQUIT",
  "SIGHUP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGUSR2",
] as const satisfies readonly Deno.Signal[];

/** One of {@linkcode MASTER_SIGNALS}. */
export type MasterSignal = (typeof MASTER_SIGNALS)[number];

/** One peer on the control socket: what the arbiter needs of a `Channel`. */
export interface Link {
  send(frame: Frame): Promise<boolean>;
  close(): void;
}

/** Everything that can wake the master. */
export type MasterEvent =
  | { kind: "signal"; signal: MasterSignal }
  | { kind: "hello"; link: Link; hello: HelloMessage }
  | { kind: "message"; link: Link; message: Exclude<WorkerMessage, HelloMessage> }
  | { kind: "link_closed"; link: Link }
  | { kind: "control"; link: Link; request: ControlRequest }
  | { kind: "exit"; serial: number; status: ExitStatus }
  /** Watched files changed (development auto-reload); absolute paths. */
  | { kind: "files_changed"; paths: string[] }
  /** The new master a USR2 started has ended. */
  | { kind: "successor_exited"; status: Deno.CommandStatus };

/** Time, behind a seam so the arbiter runs on a fake clock in unit tests. */
export interface Clock {
  /** Milliseconds, monotonic enough for deadlines. */
  now(): number;
  /** Resolves after `ms`, or never if `signal` aborts first. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/**
 * The real clock.
 *
 * @example
 * ```ts
 * import { systemClock } from "./events.ts";
 * systemClock.now();
 * ```
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
    }),
};

/** The signals that stop the master (TERM drains, INT and QUIT stop at once). */
export const STOP_SIGNALS: ReadonlySet<MasterSignal> = new Set(["SIGTERM", "SIGINT", "SIGQUIT"]);

function isStop(event: MasterEvent): boolean {
  return event.kind === "signal" && STOP_SIGNALS.has(event.signal);
}

/** A FIFO of {@linkcode MasterEvent}s with a deadline-bounded wait. */
export class EventQueue {
  #events: MasterEvent[] = [];
  #wake: (() => void) | null = null;
  #clock: Clock;
  #stop = new AbortController();

  /**
   * @example
   * ```ts
   * import { EventQueue, systemClock } from "./events.ts";
   * const queue = new EventQueue(systemClock);
   * queue.push({ kind: "signal", signal: "SIGTERM" });
   * ```
   */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Events queued and not yet taken. */
  get pending(): number {
    return this.#events.length;
  }

  /**
   * Aborted by a stop signal (TERM, INT, QUIT) from when it is pushed until the loop has taken
   * every stop queued: what a wait the master loop cannot leave by itself (a hook) listens to,
   * so no hook run before the loop reaches the stop holds it up. Once taken, a fresh signal
   * waits for the next stop (a second INT during `on_exit`).
   */
  get stopSignal(): AbortSignal {
    return this.#stop.signal;
  }

  /** Adds an event; safe to call from a signal listener. */
  push(event: MasterEvent): void {
    this.#events.push(event);
    if (isStop(event)) this.#stop.abort();
    this.#wake?.();
  }

  /** The next event, or null once `deadline` (clock time) passes first. */
  async next(deadline: number): Promise<MasterEvent | null> {
    if (this.#events.length === 0) {
      const wait = deadline - this.#clock.now();
      if (wait <= 0) return null;
      const stop = new AbortController();
      await Promise.race([
        new Promise<void>((resolve) => this.#wake = resolve),
        this.#clock.sleep(wait, stop.signal),
      ]);
      stop.abort();
      this.#wake = null;
    }
    const event = this.#events.shift() ?? null;
    if (this.#stop.signal.aborted && !this.#events.some(isStop)) this.#stop = new AbortController();
    return event;
  }
}
