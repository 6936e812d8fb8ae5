/**
 * Pure: what the master should do next to keep `target` workers serving.
 *
 * Workers sit in slots 1..target; a replacement takes its predecessor's slot.
 * A worker marked for retirement (recycle, reload) keeps serving until a
 * fresh worker in its slot is ready: surge first, drain second, so capacity
 * never dips below `target`. At most `maxSurge` surges boot at once, which
 * is what makes a reload roll one worker at a time.
 *
 * No replacement starts while another worker is {@linkcode PlanInput.settling}:
 * a draining worker keeps its listener open for its linger (answering with
 * `Connection: close`), and `shutdown()` then drops connections it accepted
 * but had not read yet. With one such listener at a time this never showed;
 * with several (recycling ~12 times a second) about 1 request in 10,000 was
 * reset. Measured with `deno task bench:recycle`.
 *
 * @module
 */
import type { ExitReason } from "../hooks.ts";
import { DRAIN_LINGER_MS } from "../ipc/protocol.ts";

/**
 * How long after a worker starts draining its listener may still be open:
 * the worker's linger plus its `shutdown()`. (A worker still receiving an
 * upload keeps it open longer; the next replacement does not wait for that.)
 */
export const DRAIN_SETTLE_MS = DRAIN_LINGER_MS + 200;

/**
 * Clock time when `worker`'s drain has settled ({@linkcode DRAIN_SETTLE_MS}
 * after it began); 0 when it is not draining.
 *
 * @example
 * ```ts
 * import { drainSettlesAt } from "./workforce_plan.ts";
 * drainSettlesAt({ drainedAt: 1_000 }); // 1500
 * drainSettlesAt({ drainedAt: null }); // 0
 * ```
 */
export function drainSettlesAt(worker: { drainedAt: number | null }): number {
  return worker.drainedAt === null ? 0 : worker.drainedAt + DRAIN_SETTLE_MS;
}

/** The master's view of one worker, as far as planning is concerned. */
export interface PlannedWorker {
  serial: number;
  id: number;
  state: "booting" | "ready" | "draining";
  /** Set when the worker should be replaced, with the reason. */
  retire: ExitReason | null;
  /** Orders the marks to retire (lower: marked first); absent or 0: slot order. */
  retireMark?: number;
}

/** One step to take. */
export type PlanAction =
  | { kind: "spawn"; id: number }
  | { kind: "drain"; serial: number; reason: ExitReason };

/** Everything {@linkcode planWorkforce} looks at. */
export interface PlanInput {
  target: number;
  workers: readonly PlannedWorker[];
  /** False while a crash backoff is running: empty slots and replacements wait. */
  mayRefill: boolean;
  /** Replacements of still-serving workers allowed to boot at once. */
  maxSurge: number;
  /**
   * True while a worker started draining less than {@linkcode DRAIN_SETTLE_MS} ago: no
   * replacement surge starts then, nor in a plan that drains (refilling an empty slot still
   * does).
   */
  settling?: boolean;
}

/**
 * The actions that move the workforce towards its target.
 *
 * @example
 * ```ts
 * import { planWorkforce } from "./workforce_plan.ts";
 * planWorkforce({ target: 2, workers: [], mayRefill: true, maxSurge: 1 });
 * // [{ kind: "spawn", id: 1 }, { kind: "spawn", id: 2 }]
 * ```
 */
export function planWorkforce(input: PlanInput): PlanAction[] {
  const actions: PlanAction[] = [];
  const active = input.workers.filter((w) => w.state !== "draining");
  let surging = 0;
  for (let id = 1; id <= input.target; id++) {
    const slot = active.filter((w) => w.id === id);
    if (slot.some((w) => w.retire) && slot.some((w) => !w.retire && w.state === "booting")) {
      surging++;
    }
  }
  const surges: PlanAction[] = [];
  for (const id of slotOrder(input.target, active)) {
    const slot = active.filter((w) => w.id === id);
    const retiring = slot.filter((w) => w.retire !== null);
    const fresh = slot.filter((w) => w.retire === null);
    if (fresh.length === 0) {
      if (retiring.length === 0 && input.mayRefill) actions.push({ kind: "spawn", id });
      // A replacement that keeps failing to boot (a broken app on disk) waits for the backoff too.
      if (retiring.length > 0 && input.mayRefill && surging < input.maxSurge && !input.settling) {
        surges.push({ kind: "spawn", id });
        surging++;
      }
    } else if (fresh.some((w) => w.state === "ready")) {
      for (const w of retiring) {
        actions.push({ kind: "drain", serial: w.serial, reason: w.retire! });
      }
    }
  }
  for (const w of active) {
    if (w.id > input.target) {
      actions.push({ kind: "drain", serial: w.serial, reason: w.retire ?? "scale_down" });
    }
  }
  // A drain planned now settles as one begun earlier does: a surge started beside it would be
  // ready, and its predecessor draining, while this one still lingers.
  if (actions.some((a) => a.kind === "drain")) return actions;
  return [...actions, ...surges];
}

/**
 * Slots 1..target, those whose worker was marked to retire first ahead: with one surge at a
 * time, slot order alone let the low slots' fresh workers, which reach `max_requests` again
 * within a second under heavy load, take every turn while the high slots' waited for good.
 */
function slotOrder(target: number, active: readonly PlannedWorker[]): number[] {
  const marked = new Map<number, number>();
  for (const w of active) {
    const mark = w.retireMark ?? 0;
    if (w.retire === null || mark === 0) continue;
    marked.set(w.id, Math.min(marked.get(w.id) ?? Infinity, mark));
  }
  const ids = Array.from({ length: target }, (_, i) => i + 1);
  const key = (id: number) => marked.get(id) ?? Infinity;
  return ids.sort((a, b) => key(a) - key(b) || a - b);
}
