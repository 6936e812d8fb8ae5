/**
 * Effective CPU count. (Stub: the cgroup-aware version replaces it.)
 *
 * @module
 */

/**
 * The number of CPUs this process may use.
 *
 * @example
 * ```ts
 * import { effectiveCpuCount } from "./cpus.ts";
 * effectiveCpuCount(); // 2
 * ```
 */
export function effectiveCpuCount(): number {
  return navigator.hardwareConcurrency || 1;
}
