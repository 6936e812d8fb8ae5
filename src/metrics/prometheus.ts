/**
 * Prometheus text exposition (format 0.0.4) of the master's view: the sum of
 * its live workers' heartbeat stats plus the stats of workers that already
 * exited, so counters never go backwards when a worker is replaced.
 *
 * Pure: the master keeps the snapshot, the metrics endpoint serves the text
 * with `Content-Type: text/plain; version=0.0.4`.
 *
 * @example
 * ```ts
 * import { emptyStats, renderMetrics } from "./prometheus.ts";
 * const text = renderMetrics({
 *   workers: [{ id: 1, pid: 4321, state: "ready", stats: emptyStats() }],
 *   retired: emptyStats(),
 *   restarts: { max_requests: 2 },
 * });
 * ```
 *
 * @module
 */
import { DURATION_BUCKETS_S, type RequestStats } from "../ipc/protocol.ts";
import type { ExitReason } from "../hooks.ts";

/** What the metrics are rendered from. */
export interface MetricsSnapshot {
  /** The workers alive now, with their latest heartbeat stats. */
  workers: { id: number; pid: number; state: WorkerState; stats: RequestStats }[];
  /** Sums over workers that have exited (see {@linkcode addStats}). */
  retired: RequestStats;
  /** Workers replaced so far, by reason. */
  restarts: Partial<Record<ExitReason, number>>;
}

/** A live worker's state as the master sees it. */
export type WorkerState = "booting" | "ready" | "draining";

// A Record keyed by the union makes the compiler flag a reason added to ExitReason later.
const EXIT_REASONS = Object.keys(
  {
    max_requests: 0,
    max_memory: 0,
    max_age: 0,
    timeout: 0,
    crash: 0,
    boot_failure: 0,
    signal: 0,
    server_stopped: 0,
    reload: 0,
    scale_down: 0,
    shutdown: 0,
  } satisfies Record<ExitReason, 0>,
) as ExitReason[];

const WORKER_STATES: readonly WorkerState[] = ["booting", "ready", "draining"];
const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/**
 * Stats with every counter at zero and one bucket per duration bound plus `+Inf`.
 *
 * @example
 * ```ts
 * import { emptyStats } from "./prometheus.ts";
 * let retired = emptyStats();
 * ```
 */
export function emptyStats(): RequestStats {
  return {
    served: 0,
    inFlight: 0,
    oldestMs: 0,
    rss: 0,
    byClass: [0, 0, 0, 0, 0],
    durationBuckets: new Array(DURATION_BUCKETS_S.length + 1).fill(0),
    durationSum: 0,
    rejected: 0,
    timedOut: 0,
  };
}

/**
 * Adds two workers' stats: counters, buckets, `inFlight` and `rss` are
 * summed, `oldestMs` is the larger. The master folds an exiting worker's
 * last stats into `retired` with it.
 *
 * @example
 * ```ts
 * import { addStats, emptyStats } from "./prometheus.ts";
 * const retired = addStats(emptyStats(), { ...emptyStats(), served: 10 });
 * retired.served; // 10
 * ```
 */
export function addStats(a: RequestStats, b: RequestStats): RequestStats {
  const buckets = DURATION_BUCKETS_S.length + 1;
  return {
    served: a.served + b.served,
    inFlight: a.inFlight + b.inFlight,
    oldestMs: Math.max(a.oldestMs, b.oldestMs),
    rss: a.rss + b.rss,
    byClass: [0, 1, 2, 3, 4].map((i) => (a.byClass[i] ?? 0) + (b.byClass[i] ?? 0)) as RequestStats[
      "byClass"
    ],
    // A worker that has not sent a heartbeat yet may report no buckets.
    durationBuckets: Array.from(
      { length: buckets },
      (_, i) => (a.durationBuckets[i] ?? 0) + (b.durationBuckets[i] ?? 0),
    ),
    durationSum: a.durationSum + b.durationSum,
    rejected: a.rejected + b.rejected,
    timedOut: a.timedOut + b.timedOut,
  };
}

function labelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

function sample(name: string, labels: Record<string, string>, value: number): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${labelValue(v)}"`);
  const text = Number.isFinite(value)
    ? String(value)
    : Number.isNaN(value)
    ? "NaN"
    : value > 0
    ? "+Inf"
    : "-Inf";
  return pairs.length === 0 ? `${name} ${text}` : `${name}{${pairs.join(",")}} ${text}`;
}

function family(name: string, type: string, help: string, samples: string[]): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples];
}

function durationHistogram(total: RequestStats): string[] {
  const name = "herd_request_duration_seconds";
  const bounds = [...DURATION_BUCKETS_S.map(String), "+Inf"];
  const samples = bounds.map((le, i) =>
    sample(`${name}_bucket`, { le }, total.durationBuckets[i] ?? 0)
  );
  samples.push(sample(`${name}_sum`, {}, total.durationSum));
  samples.push(sample(`${name}_count`, {}, total.durationBuckets[bounds.length - 1] ?? 0));
  return family(name, "histogram", "Time the app took to answer, in seconds.", samples);
}

/**
 * Renders the snapshot in the Prometheus text format, ending with a newline.
 *
 * @example
 * ```ts
 * import { emptyStats, renderMetrics } from "./prometheus.ts";
 * renderMetrics({ workers: [], retired: emptyStats(), restarts: {} })
 *   .startsWith("# HELP herd_requests_total"); // true
 * ```
 */
export function renderMetrics(snapshot: MetricsSnapshot): string {
  const total = snapshot.workers.reduce((sum, w) => addStats(sum, w.stats), snapshot.retired);
  const live = snapshot.workers.reduce((sum, w) => sum + w.stats.inFlight, 0);
  const lines = [
    ...family(
      "herd_requests_total",
      "counter",
      "Requests answered, by status class.",
      STATUS_CLASSES.map((c, i) => sample("herd_requests_total", { class: c }, total.byClass[i])),
    ),
    ...durationHistogram(total),
    ...family("herd_requests_in_flight", "gauge", "Requests being handled now.", [
      sample("herd_requests_in_flight", {}, live),
    ]),
    ...family(
      "herd_requests_rejected_total",
      "counter",
      "Requests refused with 503 at the connection limit.",
      [sample("herd_requests_rejected_total", {}, total.rejected)],
    ),
    ...family(
      "herd_requests_timed_out_total",
      "counter",
      "Requests answered with 503 after the handler exceeded the timeout.",
      [sample("herd_requests_timed_out_total", {}, total.timedOut)],
    ),
    ...family(
      "herd_workers",
      "gauge",
      "Live worker processes, by state.",
      WORKER_STATES.map((state) =>
        sample("herd_workers", { state }, snapshot.workers.filter((w) => w.state === state).length)
      ),
    ),
    ...family(
      "herd_worker_restarts_total",
      "counter",
      "Workers replaced or stopped, by reason.",
      EXIT_REASONS.map((reason) =>
        sample("herd_worker_restarts_total", { reason }, snapshot.restarts[reason] ?? 0)
      ),
    ),
    ...family(
      "herd_worker_rss_bytes",
      "gauge",
      "Resident memory of the worker serving each slot, in bytes.",
      slotHolders(snapshot.workers).map((w) =>
        sample("herd_worker_rss_bytes", { worker: String(w.id) }, w.stats.rss)
      ),
    ),
  ];
  return lines.join("\n") + "\n";
}

// One worker per slot: while a replacement boots or its predecessor drains, two share an id,
// and two samples with the same labels are invalid exposition. The one serving stands for the
// slot (ready, else booting, else draining; the last listed, the newest, on a tie); a pid label
// instead would add a series at every recycle.
const SLOT_RANK: Record<WorkerState, number> = { ready: 2, booting: 1, draining: 0 };

function slotHolders(workers: MetricsSnapshot["workers"]): MetricsSnapshot["workers"] {
  const bySlot = new Map<number, MetricsSnapshot["workers"][number]>();
  for (const w of workers) {
    const held = bySlot.get(w.id);
    if (held === undefined || SLOT_RANK[w.state] >= SLOT_RANK[held.state]) bySlot.set(w.id, w);
  }
  return [...bySlot.values()].sort((a, b) => a.id - b.id);
}
