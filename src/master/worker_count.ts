/**
 * Pure: how many workers `workers` means. `auto` has already become the
 * `WEB_CONCURRENCY` number during resolution when that variable was set; a
 * remaining `auto` follows Gunicorn's guidance for the worker class:
 *
 * - `async`: the effective CPU count. One async worker already keeps its
 *   core busy while its requests wait on I/O.
 * - `sync`: (2 × CPUs) + 1. A sync worker idles while its one request waits
 *   on I/O, so more workers than cores keep the CPUs busy; this is also the
 *   ceiling above which Herd warns (`src/settings/checks.ts`).
 *
 * @module
 */

/**
 * The number of workers to run.
 *
 * @example
 * ```ts
 * import { workerCount } from "./worker_count.ts";
 * workerCount("auto", () => 2); // 2
 * workerCount("auto", () => 2, "sync"); // 5
 * workerCount(4, () => 2); // 4
 * ```
 */
export function workerCount(
  workers: number | "auto",
  cpus: () => number,
  workerClass: "sync" | "async" = "async",
): number {
  if (workers !== "auto") return workers;
  const count = Math.max(1, cpus());
  return workerClass === "sync" ? 2 * count + 1 : count;
}
