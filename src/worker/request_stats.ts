/**
 * The counters a worker keeps about its requests, reported to the master in
 * every heartbeat. Recording a request is a handful of integer updates: it
 * runs once per request, so it allocates nothing.
 *
 * @example
 * ```ts
 * import { RequestCounters } from "./request_stats.ts";
 * const counters = new RequestCounters();
 * counters.record(200, 0.004);
 * counters.snapshot({ inFlight: 0, oldestMs: 0, rss: 0 }).served; // 1
 * ```
 *
 * @module
 */
import { DURATION_BUCKETS_S, type RequestStats } from "../ipc/protocol.ts";

/** The part of {@linkcode RequestStats} that is not a counter: measured at snapshot time. */
export interface LiveStats {
  inFlight: number;
  oldestMs: number;
  rss: number;
}

/** Cumulative request counters since the worker started. */
export class RequestCounters {
  served = 0;
  rejected = 0;
  timedOut = 0;
  durationSum = 0;
  readonly byClass: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  // Per-bucket (not cumulative) counts, last one is +Inf; snapshot() accumulates them,
  // so recording touches one slot instead of every slot above it.
  readonly #buckets: number[] = new Array(DURATION_BUCKETS_S.length + 1).fill(0);

  /**
   * Counts one answered request.
   *
   * @example
   * ```ts
   * import { RequestCounters } from "./request_stats.ts";
   * new RequestCounters().record(404, 0.002);
   * ```
   */
  record(status: number, durationS: number): void {
    this.served++;
    const cls = ((status / 100) | 0) - 1;
    if (cls >= 0 && cls <= 4) this.byClass[cls]++;
    this.durationSum += durationS;
    let i = 0;
    while (i < DURATION_BUCKETS_S.length && durationS > DURATION_BUCKETS_S[i]) i++;
    this.#buckets[i]++;
  }

  /**
   * The counters in the protocol's shape, histogram made cumulative.
   *
   * @example
   * ```ts
   * import { RequestCounters } from "./request_stats.ts";
   * new RequestCounters().snapshot({ inFlight: 2, oldestMs: 15, rss: 40e6 }).inFlight; // 2
   * ```
   */
  snapshot(live: LiveStats): RequestStats {
    let running = 0;
    const durationBuckets = this.#buckets.map((n) => (running += n));
    return {
      served: this.served,
      inFlight: live.inFlight,
      oldestMs: live.oldestMs,
      rss: live.rss,
      byClass: [...this.byClass],
      durationBuckets,
      durationSum: this.durationSum,
      rejected: this.rejected,
      timedOut: this.timedOut,
    };
  }
}
