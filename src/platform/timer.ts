/**
 * Timers for a worker's own periodic work (heartbeats, the timeout sweep,
 * log flushes, the parent watch, the drain) that leave `node:timers`
 * unloaded.
 *
 * Why not `setTimeout`: Deno 2.9's global `setTimeout` and `setInterval` are
 * Node's, from `node:timers`, which Deno loads lazily, with the Node
 * compatibility foundation under it (about 22 modules), the first time a
 * process touches them. Measured with `/proc/PID/smaps`, that first use
 * costs 2–3 MB of RSS: the modules' code and heap, V8's code cache and more
 * of the executable paged in. A hello-world `Deno.serve` process never pays
 * it, so a worker that did would carry it as overhead. `AbortSignal.timeout()`
 * runs on the runtime's core timers and loads nothing new, so these timers
 * are made from it.
 *
 * A pending timer keeps the event loop alive, as `setTimeout` does (a
 * listened-to `AbortSignal.timeout()` is ref'd); `cancel()` releases it.
 * An app that calls `setTimeout` itself loads the module anyway: these
 * timers only keep Herd from adding it.
 *
 * @example
 * ```ts
 * import { after, every } from "./timer.ts";
 * const tick = every(1000, () => console.log("tick"));
 * after(3500, () => tick.cancel());
 * ```
 *
 * @module
 */

/** A pending timer. */
export interface Timer {
  /** Stops it (its callback will not run again); idempotent. */
  cancel(): void;
}

/** The longest delay the runtime's timers take: past it they fire at once. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Calls `callback` once, after `ms` milliseconds (rounded, at least 0; a
 * delay past the runtime's ~24.8-day limit is waited in parts).
 *
 * @example
 * ```ts
 * import { after } from "./timer.ts";
 * const timer = after(100, () => console.log("later"));
 * timer.cancel(); // never logs
 * ```
 */
export function after(ms: number, callback: () => void): Timer {
  const delay = Math.max(0, Math.round(ms));
  if (delay > MAX_DELAY_MS) {
    let rest: Timer | null = null;
    const first = after(MAX_DELAY_MS, () => rest = after(delay - MAX_DELAY_MS, callback));
    return { cancel: () => (rest ?? first).cancel() };
  }
  const signal = AbortSignal.timeout(delay);
  const listener = () => callback();
  signal.addEventListener("abort", listener, { once: true });
  // The runtime's timer cannot be cleared: without a listener it is unref'd and runs out idle.
  return { cancel: () => signal.removeEventListener("abort", listener) };
}

/** What {@linkcode within} resolves with when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/**
 * `promise`'s value, or {@linkcode TIMED_OUT} when it has not settled after
 * `ms` milliseconds (it runs on, unwaited). A rejection passes through.
 *
 * @example
 * ```ts
 * import { TIMED_OUT, within } from "./timer.ts";
 * const value = await within(new Promise(() => {}), 10);
 * value === TIMED_OUT; // true
 * ```
 */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  const late = Promise.withResolvers<typeof TIMED_OUT>();
  const timer = after(ms, () => late.resolve(TIMED_OUT));
  try {
    return await Promise.race([promise, late.promise]);
  } finally {
    timer.cancel();
  }
}

/**
 * Calls `callback` every `ms` milliseconds until cancelled. The next period
 * starts before the callback runs, so a slow callback does not stretch it.
 *
 * @example
 * ```ts
 * import { every } from "./timer.ts";
 * const timer = every(250, () => console.log("sweep"));
 * timer.cancel();
 * ```
 */
export function every(ms: number, callback: () => void): Timer {
  let pending: Timer;
  const arm = () => {
    pending = after(ms, () => {
      arm();
      callback();
    });
  };
  arm();
  // Cancelling from inside the callback finds the period it just armed.
  return { cancel: () => pending.cancel() };
}

/**
 * Resolves after `ms` milliseconds, or as soon as `signal` aborts (at once
 * if it has already).
 *
 * @example
 * ```ts
 * import { sleep } from "./timer.ts";
 * await sleep(10);
 * await sleep(60_000, AbortSignal.timeout(10)); // 10 ms
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      timer.cancel();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = after(ms, done);
    signal?.addEventListener("abort", done, { once: true });
  });
}
