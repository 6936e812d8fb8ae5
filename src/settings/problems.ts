/**
 * One-line configuration problems: which setting, which value, from which
 * source, and what would have been accepted. Every message follows the Deno
 * std rules: sentence case, quoted values, a colon before the details, no
 * final period.
 *
 * @example
 * ```ts
 * import { invalidValue } from "./problems.ts";
 * invalidValue({
 *   name: "workers",
 *   raw: "abc",
 *   origin: { source: "env", variable: "HERD_WORKERS" },
 *   accepted: "an integer from 1 to 1024, or auto",
 * });
 * // 'Invalid value for "workers": "abc" from HERD_WORKERS (environment): expected an integer from 1 to 1024, or auto'
 * ```
 *
 * @module
 */

/** Where one raw value was written: precise enough for the user to find it. */
export type Origin =
  | { source: "default" }
  | { source: "config.ts"; key: string; file: string }
  | { source: ".env"; variable: string; file: string }
  | { source: "env"; variable: string }
  | { source: "cli"; flag: string };

/** A value as one source gave it, before its setting's parser saw it. */
export interface RawValue {
  /** A string from the CLI or the environment; any value from config.ts. */
  raw: unknown;
  /** Where it was written. */
  origin: Origin;
}

/**
 * Names the place a value came from, for the middle of a message.
 *
 * @example
 * ```ts
 * import { describeOrigin } from "./problems.ts";
 * describeOrigin({ source: "cli", flag: "--workers" }); // "--workers (command line)"
 * describeOrigin({ source: ".env", variable: "HERD_PORT", file: ".env" }); // 'HERD_PORT in ".env"'
 * ```
 */
export function describeOrigin(origin: Origin): string {
  switch (origin.source) {
    case "default":
      return "the default";
    case "config.ts":
      return `${origin.key} in "${origin.file}"`;
    case ".env":
      return `${origin.variable} in "${origin.file}"`;
    case "env":
      return `${origin.variable} (environment)`;
    case "cli":
      return `${origin.flag} (command line)`;
  }
}

/**
 * Renders a raw value the way the user wrote it: strings quoted, functions
 * as `function`, everything else as compact JSON.
 *
 * @example
 * ```ts
 * import { formatValue } from "./problems.ts";
 * formatValue("abc"); // '"abc"'
 * formatValue([1, 2]); // "[1,2]"
 * ```
 */
export function formatValue(raw: unknown): string {
  if (typeof raw === "function") return "function";
  if (raw === undefined) return "undefined";
  if (typeof raw === "bigint") return `${raw}n`;
  if (typeof raw === "symbol") return String(raw);
  // JSON would print NaN and Infinity as null.
  if (typeof raw === "number" && !Number.isFinite(raw)) return String(raw);
  try {
    const json = JSON.stringify(raw) ?? String(raw);
    // Keep the message on one readable line even for a large object.
    return json.length > 60 ? `${json.slice(0, 57)}...` : json;
  } catch {
    return Object.prototype.toString.call(raw);
  }
}

/**
 * The message for a value its setting's parser rejected.
 *
 * @example
 * ```ts
 * import { invalidValue } from "./problems.ts";
 * invalidValue({
 *   name: "port",
 *   raw: "http",
 *   origin: { source: "cli", flag: "-p" },
 *   accepted: "an integer from 0 to 65535",
 * });
 * // 'Invalid value for "port": "http" from -p (command line): expected an integer from 0 to 65535'
 * ```
 */
export function invalidValue(
  problem: { name: string; raw: unknown; origin: Origin; accepted: string },
): string {
  const { name, raw, origin, accepted } = problem;
  return `Invalid value for "${name}": ${formatValue(raw)} from ${
    describeOrigin(origin)
  }: expected ${accepted}`;
}
