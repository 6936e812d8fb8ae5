/**
 * The time-driven half of supervision: SIGKILL after a grace period, boot
 * timeouts, heartbeat timeouts (blocked workers) and recycle limits, plus
 * the earliest moment any of them can next fire, which is when the arbiter
 * wakes if no event comes first.
 *
 * @module
 */
import { getLog } from "../logging/log.ts";
import { heartbeatExpired, recycleReason, silenceLimitMs } from "./recycle_policy.ts";
import { drainSettlesAt } from "./workforce_plan.ts";
import type { Workforce } from "./workforce.ts";
import { LAST_WORDS_MS, type WorkerHandle } from "./worker_handle.ts";

// A SIGKILL is not refused, but a process in uninterruptible sleep (a stuck disk) takes it late:
// sent again after this rather than on every turn of the master loop.
const SIGKILL_AGAIN_MS = 5000;

/**
 * Applies every deadline due at `now`. Recycling and heartbeat checks of
 * serving workers only apply while `running` (not during the initial start
 * or a stop); a draining worker's heartbeat is checked in every phase.
 *
 * @example
 * ```ts
 * import { enforceDeadlines } from "./deadlines.ts";
 * // await enforceDeadlines(workforce, { now: clock.now(), running: true });
 * ```
 */
export async function enforceDeadlines(
  workforce: Workforce,
  at: { now: number; running: boolean },
): Promise<void> {
  const { now, running } = at;
  const log = getLog("master");
  const s = workforce.resolved.settings;
  for (const w of [...workforce.workers.values()]) {
    if (w.killAt !== null && now >= w.killAt) {
      log.warning(`${w.label} did not exit in time: sending SIGKILL`);
      w.process.kill("SIGKILL");
      w.killAt = now + SIGKILL_AGAIN_MS;
    } else if (isSilentWhileDraining(w, now, s.timeout)) {
      // Blocked while draining (a reload, a recycle, a stop): its listener still takes
      // connections it will never answer, for as long as graceful_timeout.
      await workforce.abort(w);
    } else if (w.state === "booting" && w.killAt === null) {
      if (now - bootStart(w) < s.boot_timeout * 1000) continue;
      w.bootError = `no ready within ${s.boot_timeout} s (boot_timeout)`;
      w.process.kill("SIGKILL");
      w.killAt = now + SIGKILL_AGAIN_MS;
    } else if (w.state === "ready" && w.leaving === null && running) {
      if (heartbeatExpired({ silentMs: now - w.lastSeen }, s.timeout)) {
        await workforce.abort(w);
        continue;
      }
      if (w.retire) continue;
      const usage = {
        served: w.stats?.served ?? 0,
        rss: w.stats?.rss ?? 0,
        firstRss: w.firstRss ?? 0,
        ageMs: now - w.spawnedAt,
      };
      warnIfMemoryLimitTooLow(workforce, w);
      const reason = recycleReason(w.limits, usage);
      if (reason) {
        w.retire = reason;
        log.info(
          `${w.label} reached ${reason}${limitDetail(reason, w, usage)}: starting its replacement`,
        );
      }
    }
  }
}

// The figure behind a recycle, for the log line: which limit, and where the worker stood.
function limitDetail(
  reason: string,
  w: WorkerHandle,
  usage: { served: number; rss: number; ageMs: number },
): string {
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (reason === "max_memory") return ` (${mb(usage.rss)} RSS, limit ${mb(w.limits.maxRssBytes)})`;
  if (reason === "max_age") return ` (up ${Math.round(usage.ageMs / 1000)} s)`;
  return ` (${requestsServed(usage.served)})`;
}

/**
 * What a worker served, in words, for its recycle and exit lines.
 *
 * @example
 * ```ts
 * import { requestsServed } from "./deadlines.ts";
 * requestsServed(1); // "1 request served"
 * requestsServed(10); // "10 requests served"
 * ```
 */
export function requestsServed(count: number): string {
  return `${count} request${count === 1 ? "" : "s"} served`;
}

// A draining worker that served heartbeats until it stopped: blocked, not busy finishing.
function isSilentWhileDraining(w: WorkerHandle, now: number, timeoutS: number): boolean {
  return isWatchedWhileDraining(w) && heartbeatExpired({ silentMs: now - w.lastSeen }, timeoutS);
}

// Draining after serving, still linked, and not already aborted: its heartbeats still count.
function isWatchedWhileDraining(w: WorkerHandle): boolean {
  return w.state === "draining" && w.readyAt !== null && w.exited === null && !w.linkClosed &&
    !w.aborted;
}

// Once per generation: recycling for memory would replace such workers without end.
function warnIfMemoryLimitTooLow(workforce: Workforce, w: WorkerHandle): void {
  const limit = w.limits.maxRssBytes;
  if (limit === 0 || w.firstRss === null || w.firstRss <= limit) return;
  if (workforce.maxMemoryWarned.has(w.generation)) return;
  workforce.maxMemoryWarned.add(w.generation);
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  getLog("master").warning(
    `"max_memory" is ${mb(limit)} MB, below what a worker weighs before serving (${
      mb(w.firstRss)
    } MB): workers that start over it are not recycled for memory; raise it`,
  );
}

/**
 * The workers whose exit was held for their last frames
 * (`awaitsLastWords` in `worker_handle.ts`) and is now due to be reported
 * without them.
 *
 * @example
 * ```ts
 * import { heldExitsDue } from "./deadlines.ts";
 * // for (const w of heldExitsDue(workforce, clock.now())) reap(w);
 * ```
 */
export function heldExitsDue(workforce: Workforce, now: number): WorkerHandle[] {
  return [...workforce.workers.values()].filter((w) =>
    w.exited !== null && now >= w.exited.at + LAST_WORDS_MS
  );
}

/**
 * The earliest clock time at which a deadline can fire: a pending SIGKILL, a
 * boot or heartbeat timeout, the end of a crash backoff; at most 1 s away,
 * so age limits are checked at least once a second.
 *
 * @example
 * ```ts
 * import { nextDeadline } from "./deadlines.ts";
 * // const deadline = nextDeadline(workforce, { now: clock.now(), refillAt: 0 });
 * ```
 */
export function nextDeadline(
  workforce: Workforce,
  at: { now: number; refillAt: number },
): number {
  const { now, refillAt } = at;
  const timeoutMs = workforce.resolved.settings.timeout * 1000;
  const bootMs = workforce.resolved.settings.boot_timeout * 1000;
  const silenceEnds = (w: WorkerHandle) => w.lastSeen + silenceLimitMs(timeoutMs / 1000) + 1;
  let deadline = now + 1000;
  for (const w of workforce.workers.values()) {
    // The next replacement may start once a drain has settled: wake up for it.
    const settled = drainSettlesAt(w);
    if (settled > now) deadline = Math.min(deadline, settled);
    if (w.exited) deadline = Math.min(deadline, w.exited.at + LAST_WORDS_MS);
    // A worker already told to go (or killed at boot_timeout) waits for its SIGKILL, and for
    // its silence only if it drains after serving; its boot deadline, passed, is no longer one.
    if (w.killAt !== null) {
      deadline = Math.min(deadline, w.killAt);
      if (timeoutMs > 0 && isWatchedWhileDraining(w)) deadline = Math.min(deadline, silenceEnds(w));
    } else if (w.state === "booting") deadline = Math.min(deadline, bootStart(w) + bootMs);
    else if (w.state === "ready" && timeoutMs > 0) deadline = Math.min(deadline, silenceEnds(w));
  }
  if (refillAt > now) deadline = Math.min(deadline, refillAt);
  // Never in the past: a deadline that its check does not clear would have the loop spin
  // without reading a socket (and then miss the heartbeats it waits for).
  return Math.max(deadline, now + MIN_WAIT_MS);
}

const MIN_WAIT_MS = 5;

// A worker's boot runs from its configuration (see `configuredAt`), or its spawn until then.
function bootStart(w: WorkerHandle): number {
  return w.configuredAt ?? w.spawnedAt;
}
