/**
 * Loggers for Herd's own code and for hooks. Categories are
 * `["herd", <part>]`; where records go (the error log's sink) and from which
 * level is set once per process by `setup.ts`. Until then, records at
 * `info` and above go to stderr as plain text, so nothing logged early is
 * lost.
 *
 * This router is Herd's own, a few lines, on purpose: workers must not load
 * a logging library from npm. Any `npm:` or `node:` import makes Deno start
 * its Node compatibility layer: importing `@logtape/logtape` (which imports
 * `node:util`) added ~9.5 MB to an idle bare server's RSS, and taking it and
 * the `node:` imports out of Herd's workers took 3–5 MB off each after load
 * (measured; see docs/benchmarks.md). `debug`, `info`, `warning` and `error` take
 * `(message, properties)` as LogTape's `Logger` does, so hook code written
 * for either works; the highest level is `critical`, as in `log_level`.
 *
 * @example
 * ```ts
 * import { getLog } from "./log.ts";
 * getLog("master").info("Booting worker 1 (pid: 1234)");
 * getLog("worker").error("Request failed", { error: new Error("boom") });
 * ```
 *
 * @module
 */

/** Levels, lowest first; `critical` is the highest (Gunicorn's name). */
export type LogLevel = "debug" | "info" | "warning" | "error" | "critical";

/** One record, as a sink receives it. */
export interface LogRecord {
  /** `["herd", "master"]`, `["herd", "hooks"]`... */
  readonly category: readonly string[];
  readonly level: LogLevel;
  /** Pre-formatted text: no placeholders are expanded. */
  readonly message: string;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  /** Structured fields: JSON lines carry them; text lines add an `Error`'s stack. */
  readonly properties: Readonly<Record<string, unknown>>;
}

/** Where records go: one function per process, set by `setup.ts`. */
export type LogSink = (record: LogRecord) => void;

/** A logger for one category. */
export interface Logger {
  /** `["herd", <part>]`. */
  readonly category: readonly string[];
  /** Logs `message` at `debug`; `properties` go into JSON lines (an `Error`'s stack into text). */
  debug(message: string, properties?: Record<string, unknown>): void;
  /** Logs `message` at `info`. */
  info(message: string, properties?: Record<string, unknown>): void;
  /** Logs `message` at `warning`. */
  warning(message: string, properties?: Record<string, unknown>): void;
  /** Logs `message` at `error`. */
  error(message: string, properties?: Record<string, unknown>): void;
  /** Logs `message` at `critical`, the highest level. */
  critical(message: string, properties?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3, critical: 4 };

const ENCODER = new TextEncoder();

/**
 * Writes `line` and a newline to stderr at once; never throws. The last
 * resort when a log cannot be written (or is not set up yet).
 *
 * @example
 * ```ts
 * import { writeToStderr } from "./log.ts";
 * writeToStderr("Cannot write to the error log: disk full");
 * ```
 */
export function writeToStderr(line: string): void {
  try {
    Deno.stderr.writeSync(ENCODER.encode(line + "\n"));
  } catch {
    // stderr is gone: nothing is left to tell.
  }
}

function earlySink(record: LogRecord): void {
  writeToStderr(`[${record.level.toUpperCase()}] ${record.message}`);
}

let sink: LogSink = earlySink;
let routeLevel: LogLevel = "info";
let lowest = RANK.info;

/** Where records go, and the lowest level that goes there. */
export interface LogRoute {
  sink: LogSink;
  level: LogLevel;
}

/**
 * Sends every record at `level` or above to `next` from now on, and returns
 * the route it replaced (so the caller can close its sink, or restore it).
 *
 * @example
 * ```ts
 * import { routeLogs } from "./log.ts";
 * const previous = routeLogs((record) => console.log(record.message), "debug");
 * routeLogs(previous.sink, previous.level);
 * ```
 */
export function routeLogs(next: LogSink, level: LogLevel): LogRoute {
  const previous = { sink, level: routeLevel };
  sink = next;
  routeLevel = level;
  lowest = RANK[level];
  return previous;
}

function emit(
  category: readonly string[],
  level: LogLevel,
  message: string,
  properties: Record<string, unknown> = {},
): void {
  if (RANK[level] < lowest) return;
  try {
    sink({ category, level, message, timestamp: Date.now(), properties });
  } catch (error) {
    // A sink that throws must not take its caller down (a worker mid-request, the master loop).
    earlySink({
      category,
      level: "error",
      message: `Cannot log: ${error}`,
      timestamp: 0,
      properties,
    });
  }
}

/**
 * The logger for one part of Herd (`master`, `worker`, `config`, `hooks`...).
 * Pass pre-formatted strings; put structured data (an `error`, ids) in
 * `properties`.
 *
 * @example
 * ```ts
 * import { getLog } from "./log.ts";
 * const log = getLog("config");
 * log.warning(`Unknown setting "wokers" in config.ts`);
 * ```
 */
export function getLog(part: string): Logger {
  const category = ["herd", part] as const;
  return {
    category,
    debug: (message, properties) => emit(category, "debug", message, properties),
    info: (message, properties) => emit(category, "info", message, properties),
    warning: (message, properties) => emit(category, "warning", message, properties),
    error: (message, properties) => emit(category, "error", message, properties),
    critical: (message, properties) => emit(category, "critical", message, properties),
  };
}
