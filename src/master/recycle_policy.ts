/**
 * Pure decisions about replacing a healthy worker: per-worker limits drawn
 * at spawn (so workers do not all restart together), and which limit, if
 * any, a worker has crossed. Effects (surge, drain, kill) live elsewhere.
 *
 * @module
 */
import { HEARTBEAT_MS } from "../ipc/protocol.ts";

/** Limits for one worker; 0 means off. */
export interface RecycleLimits {
  /** Requests served before replacement (`max_requests` + jitter). */
  maxRequests: number;
  /** Resident memory in bytes (`max_memory` MB). */
  maxRssBytes: number;
  /** Age in ms (`max_age` s + up to 10 %). */
  maxAgeMs: number;
}

/** The recycling settings, as resolved. */
export interface RecycleSettings {
  max_requests: number;
  max_requests_jitter: number;
  max_memory: number;
  max_age: number;
}

/** Why a healthy worker is replaced. */
export type RecycleReason = "max_requests" | "max_memory" | "max_age";

/** What the master last heard from a worker. */
export interface WorkerUsage {
  served: number;
  rss: number;
  ageMs: number;
  /** RSS at its first heartbeat, before it served: what it weighs to begin with. */
  firstRss?: number;
}

/**
 * Draws one worker's limits. `random` returns a number in [0, 1).
 *
 * @example
 * ```ts
 * import { drawLimits } from "./recycle_policy.ts";
 * drawLimits({ max_requests: 1000, max_requests_jitter: 50, max_memory: 0, max_age: 0 }, () => 0.5);
 * // { maxRequests: 1025, maxRssBytes: 0, maxAgeMs: 0 }
 * ```
 */
export function drawLimits(
  settings: RecycleSettings,
  random: () => number = Math.random,
): RecycleLimits {
  const jitter = Math.floor(random() * (settings.max_requests_jitter + 1));
  return {
    maxRequests: settings.max_requests > 0 ? settings.max_requests + jitter : 0,
    maxRssBytes: settings.max_memory * 1024 * 1024,
    maxAgeMs: Math.round(settings.max_age * 1000 * (1 + 0.1 * random())),
  };
}

/**
 * The first limit `usage` has reached, or null.
 *
 * @example
 * ```ts
 * import { recycleReason } from "./recycle_policy.ts";
 * recycleReason(
 *   { maxRequests: 100, maxRssBytes: 0, maxAgeMs: 0 },
 *   { served: 100, rss: 40e6, ageMs: 5000 },
 * ); // "max_requests"
 * recycleReason(
 *   { maxRequests: 0, maxRssBytes: 30e6, maxAgeMs: 0 },
 *   { served: 0, rss: 40e6, ageMs: 500, firstRss: 40e6 },
 * ); // null: it weighed more than the limit before it served (see max_memory's warning)
 * ```
 */
export function recycleReason(limits: RecycleLimits, usage: WorkerUsage): RecycleReason | null {
  if (limits.maxRequests > 0 && usage.served >= limits.maxRequests) return "max_requests";
  // A worker over the limit from its start would only be replaced by another one over it.
  const fresh = usage.firstRss ?? 0;
  if (limits.maxRssBytes > 0 && usage.rss > limits.maxRssBytes && fresh <= limits.maxRssBytes) {
    return "max_memory";
  }
  if (limits.maxAgeMs > 0 && usage.ageMs >= limits.maxAgeMs) return "max_age";
  return null;
}

/**
 * Shortest silence taken for a blocked worker: two and a half heartbeat
 * periods. A `timeout` of 1 s alone would expire between two on-time
 * heartbeats and kill every healthy worker.
 */
const MIN_SILENCE_MS: number = 2.5 * HEARTBEAT_MS;

/**
 * True when a serving worker has been blocked for longer than `timeout`
 * seconds (its event loop silent past {@linkcode silenceLimitMs}). A timeout
 * of 0 disables the check.
 *
 * @example
 * ```ts
 * import { heartbeatExpired } from "./recycle_policy.ts";
 * heartbeatExpired({ silentMs: 31_500 }, 30); // true
 * heartbeatExpired({ silentMs: 30_500 }, 30); // false: blocked 29.5 s if its last heartbeat came just before
 * heartbeatExpired({ silentMs: 1_500 }, 1); // false: a heartbeat may just be due
 * ```
 */
export function heartbeatExpired(worker: { silentMs: number }, timeoutS: number): boolean {
  return timeoutS > 0 && worker.silentMs > silenceLimitMs(timeoutS);
}

/**
 * How long a serving worker may be silent before it counts as blocked, in
 * ms: `timeout` plus one heartbeat period, and never under
 * {@linkcode MIN_SILENCE_MS}. Its last heartbeat may have come up to a
 * period before it blocked: a limit of `timeout` alone killed workers
 * blocked for up to a second less (Gunicorn never kills a request that
 * runs under `timeout`). The master's wake-up for the check must use this
 * too, or it wakes before the check can fire, again and again.
 *
 * @example
 * ```ts
 * import { silenceLimitMs } from "./recycle_policy.ts";
 * silenceLimitMs(30); // 31000
 * silenceLimitMs(0.5); // 2500
 * ```
 */
export function silenceLimitMs(timeoutS: number): number {
  return Math.max(timeoutS * 1000 + HEARTBEAT_MS, MIN_SILENCE_MS);
}
