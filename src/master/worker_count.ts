/**
 * Pure: how many workers `workers` means. `auto` has already become the
 * `WEB_CONCURRENCY` number during resolution when that variable was set; a
 * remaining `auto` is the effective CPU count.
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
 * workerCount(4, () => 2); // 4
 * ```
 */
export function workerCount(workers: number | "auto", cpus: () => number): number {
  return workers === "auto" ? Math.max(1, cpus()) : workers;
}
