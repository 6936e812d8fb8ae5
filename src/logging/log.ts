/**
 * Loggers for Herd's own code. Categories are `["herd", <part>]`; sinks and
 * levels are set up once per process by `setup.ts`.
 *
 * @example
 * ```ts
 * import { getLog } from "./log.ts";
 * getLog("master").info("Booting worker 1 (pid: 1234)");
 * ```
 *
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";

export type { Logger };

/**
 * The logger for one part of Herd (`master`, `worker`, `config`, `hooks`...).
 * Pass pre-formatted strings: LogTape's `{placeholder}` rendering costs
 * ~25 µs a record (measured), too much anywhere near the request path.
 */
export function getLog(part: string): Logger {
  return getLogger(["herd", part]);
}
