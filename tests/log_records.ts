/**
 * Herd's log records, caught in memory for a test: route them into an array
 * with `using`, and the previous sink is back when the scope ends.
 *
 * @example
 * ```ts
 * import { captureLogs } from "./log_records.ts";
 * import { getLog } from "../src/logging/log.ts";
 * {
 *   using logs = captureLogs("info");
 *   getLog("test").warning("kept");
 *   logs.records.length; // 1
 * }
 * ```
 *
 * @module
 */
import { type LogLevel, type LogRecord, routeLogs } from "../src/logging/log.ts";

/** The records caught so far; disposing it restores the previous sink and level. */
export interface CapturedLogs extends Disposable {
  readonly records: LogRecord[];
}

/**
 * Sends every record at `level` and above to {@linkcode CapturedLogs.records}
 * until disposed.
 *
 * @example
 * ```ts
 * import { captureLogs } from "./log_records.ts";
 * using logs = captureLogs();
 * ```
 */
export function captureLogs(level: LogLevel = "debug"): CapturedLogs {
  const records: LogRecord[] = [];
  const previous = routeLogs((record) => records.push(record), level);
  return { records, [Symbol.dispose]: () => routeLogs(previous.sink, previous.level) };
}
