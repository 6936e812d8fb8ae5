/**
 * The master's signal listeners, installed first thing, before the
 * configuration's slow steps (preloading the app, opening sockets). Until
 * then, a stop signal takes Deno's default action (the master ends with no
 * log line, having started nothing), and the others are held by
 * `early_signals.ts`, which hands them over here.
 *
 * Every signal is queued for the arbiter (a listener never acts). A stop
 * signal (TERM, INT, QUIT) also settles {@linkcode SignalIntake.stopped}, so
 * the steps before the arbiter runs can give up at once: no worker was
 * started, so there is nothing to drain.
 *
 * @example
 * ```ts
 * import { listenForSignals } from "./signal_intake.ts";
 * import { EventQueue, systemClock } from "./events.ts";
 * using signals = listenForSignals(new EventQueue(systemClock));
 * if (signals.stopRequested) console.log(`stopping before start: ${signals.stopRequested}`);
 * ```
 *
 * @module
 */
import { type EventQueue, MASTER_SIGNALS, type MasterSignal, STOP_SIGNALS } from "./events.ts";
import { releaseEarlySignals } from "../platform/early_signals.ts";

/** The installed listeners; disposing removes them. */
export interface SignalIntake extends Disposable {
  /** The first stop signal received, or null. */
  readonly stopRequested: MasterSignal | null;
  /** Resolves with the first stop signal. */
  readonly stopped: Promise<MasterSignal>;
}

/**
 * Installs a listener for each of `MASTER_SIGNALS` that queues it on `queue`.
 *
 * @example
 * ```ts
 * import { listenForSignals } from "./signal_intake.ts";
 * import { EventQueue, systemClock } from "./events.ts";
 * const signals = listenForSignals(new EventQueue(systemClock));
 * signals[Symbol.dispose]();
 * ```
 */
export function listenForSignals(queue: EventQueue): SignalIntake {
  const stop = Promise.withResolvers<MasterSignal>();
  let stopRequested: MasterSignal | null = null;
  const removers = MASTER_SIGNALS.map((signal) => {
    const push = () => {
      if (stopRequested === null && STOP_SIGNALS.has(signal)) {
        stopRequested = signal;
        stop.resolve(signal);
      }
      queue.push({ kind: "signal", signal });
    };
    Deno.addSignalListener(signal, push);
    return () => Deno.removeSignalListener(signal, push);
  });
  // Received before these listeners existed (see early_signals.ts): queued first, in order.
  for (const signal of releaseEarlySignals()) queue.push({ kind: "signal", signal });
  return {
    get stopRequested() {
      return stopRequested;
    },
    stopped: stop.promise,
    [Symbol.dispose]() {
      for (const remove of removers) remove();
    },
  };
}
