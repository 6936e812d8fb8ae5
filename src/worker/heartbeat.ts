/**
 * The worker's heartbeat: every {@linkcode HEARTBEAT_MS} it sends its request
 * counters and RSS to the master. This timer is the worker's only periodic
 * work for stats: counters are plain fields the request path bumps, and
 * only this tick reads them (and the ~3 µs `Deno.memoryUsage()`).
 *
 * A missing heartbeat is how the master spots a blocked event loop, so the
 * tick does nothing that could itself wait.
 *
 * @example
 * ```ts
 * import { startHeartbeat } from "./heartbeat.ts";
 * using beat = startHeartbeat({ send: (m) => console.log(m.served), stats: (rss) => ({ served: 0, rss } as never) });
 * ```
 *
 * @module
 */
import { every } from "../platform/timer.ts";
import { HEARTBEAT_MS, type HeartbeatMessage, type RequestStats } from "../ipc/protocol.ts";

/** Options of {@linkcode startHeartbeat}. */
export interface HeartbeatOptions {
  /** Sends one frame (the channel's `send`). */
  send: (message: HeartbeatMessage) => unknown;
  /** The current counters, given the RSS in bytes (the request guard's `stats`). */
  stats: (rss: number) => RequestStats;
  /**
   * Period in ms.
   * @default {HEARTBEAT_MS}
   */
  intervalMs?: number;
}

/**
 * Starts the heartbeat; sends the first one at once, so the master has
 * numbers as soon as the worker is ready. Dispose the result to stop it.
 *
 * @example
 * ```ts
 * import { startHeartbeat } from "./heartbeat.ts";
 * const beat = startHeartbeat({ send: () => {}, stats: (rss) => ({ rss } as never), intervalMs: 50 });
 * beat[Symbol.dispose]();
 * ```
 */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const { send, stats, intervalMs = HEARTBEAT_MS } = options;
  let sentAt = 0;
  const beat = () => {
    sentAt = performance.now();
    void send({ type: "heartbeat", ...stats(Deno.memoryUsage().rss) });
  };
  beat();
  const timer = every(intervalMs, beat);
  return {
    now: beat,
    ifDue: (now) => {
      if (now - sentAt >= intervalMs) beat();
    },
    [Symbol.dispose]: () => timer.cancel(),
  };
}

/** A running heartbeat: {@linkcode Heartbeat.now} sends one out of turn. */
export interface Heartbeat extends Disposable {
  /** Sends a heartbeat now (e.g. the worker just reached its `max_requests`). */
  now(): void;
  /**
   * Sends one if the last went out a period ago or more (`now` from `performance.now()`).
   * Called as each request is answered: back-to-back requests (a `sync` worker's queue runs
   * as microtasks) can keep the event loop from ever reaching the timer, and the master
   * would take a worker that serves requests shorter than `timeout` for a blocked one.
   */
  ifDue(now: number): void;
}
