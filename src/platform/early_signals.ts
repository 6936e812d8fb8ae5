/**
 * Holds the master's reload and scaling signals from the program's first
 * line until its signal intake exists. Deno's default action for `SIGHUP`
 * and `SIGUSR2` ends the process, and for `SIGTTIN` and `SIGTTOU` stops it:
 * a `systemctl reload` right after a start (`Type=simple` counts the unit as
 * started at once) killed Herd silently in the ~30 ms its modules and
 * configuration take to load. Stop signals keep Deno's default: nothing has
 * been started yet, so ending at once is what they ask for.
 *
 * `main.ts` (and `serve()`) call {@linkcode holdEarlySignals} before
 * importing anything else; `listenForSignals` takes the held signals over
 * with {@linkcode releaseEarlySignals} and queues them in order.
 *
 * @example
 * ```ts
 * import { holdEarlySignals, releaseEarlySignals } from "./early_signals.ts";
 * holdEarlySignals();
 * // ... load modules, resolve the configuration ...
 * const held = releaseEarlySignals(); // e.g. ["SIGHUP"]
 * ```
 *
 * @module
 */

/** The signals held: those whose default action would end or stop the master. */
const HELD_SIGNALS = ["SIGHUP", "SIGTTIN", "SIGTTOU", "SIGUSR2"] as const;

/** One of {@linkcode HELD_SIGNALS}. */
export type HeldSignal = (typeof HELD_SIGNALS)[number];

const held: HeldSignal[] = [];
let removers: (() => void)[] = [];

/**
 * Starts holding {@linkcode HELD_SIGNALS}; idempotent.
 *
 * @example
 * ```ts
 * import { holdEarlySignals } from "./early_signals.ts";
 * holdEarlySignals();
 * ```
 */
export function holdEarlySignals(): void {
  if (removers.length > 0) return;
  removers = HELD_SIGNALS.map((signal) => {
    const hold = () => void held.push(signal);
    Deno.addSignalListener(signal, hold);
    return () => Deno.removeSignalListener(signal, hold);
  });
}

/**
 * Stops holding, and returns the signals received meanwhile, oldest first.
 * Called once the master's own listeners are installed (a signal between
 * the two is then theirs, not lost), or, by `runCli`, for a command that is
 * no master (its held signals are dropped: they were sent before it could
 * have meant anything).
 *
 * @example
 * ```ts
 * import { releaseEarlySignals } from "./early_signals.ts";
 * for (const signal of releaseEarlySignals()) console.log(`held: ${signal}`);
 * ```
 */
export function releaseEarlySignals(): HeldSignal[] {
  for (const remove of removers) remove();
  removers = [];
  return held.splice(0);
}
