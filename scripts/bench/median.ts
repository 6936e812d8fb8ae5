/**
 * The median the benchmarks report: the steadier middle of a few noisy
 * rounds.
 *
 * @module
 */

/**
 * The median of `xs` (the mean of the two middle values for an even count).
 *
 * @example
 * ```ts
 * import { median } from "./median.ts";
 * median([3, 1, 2]); // 2
 * median([4, 1, 3, 2]); // 2.5
 * ```
 */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
