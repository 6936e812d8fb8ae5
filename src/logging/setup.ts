/**
 * The error log: the sink `log.ts` routes records to, set once per process
 * (master or worker), writing Gunicorn-style text or JSON lines to stderr or
 * a file.
 *
 * Text: `[2026-11-27 04:05:06 +0000] [1234] [worker 3] [INFO] Booting`, the
 * level coloured only on a TTY without `NO_COLOR`. JSON: one object per
 * line, `{"time","level","pid","role","worker"?,"category","message",...}`.
 *
 * A file is written through `line_writer.ts` in write-through mode: one
 * `writeSync` of the whole record, `O_APPEND`, no fsync. Error-log lines are
 * rare, and one write per record keeps the master's and workers' lines whole
 * in a shared file. (`@logtape/file` fsyncs per record: 50× slower, measured.)
 *
 * @example
 * ```ts
 * import { configureLogging } from "./setup.ts";
 * import { getLog } from "./log.ts";
 * configureLogging({
 *   role: "master",
 *   settings: { log_level: "info", error_log: "-", log_format: "text" },
 * });
 * getLog("master").info("Starting Herd");
 * ```
 *
 * @module
 */
import { parentDirectory } from "../platform/path_exists.ts";
import { createAndRemoveIn } from "../platform/dry_run.ts";
import type { DataSettings } from "../settings/table.ts";
import { type LogLevel, type LogRecord, type LogSink, routeLogs, writeToStderr } from "./log.ts";
import {
  flushAllLineWriters,
  logFile,
  logTarget,
  openLineWriter,
  reopenAllLineWriters,
} from "./line_writer.ts";
import { localTimestamp } from "./timestamps.ts";
import { errorMessage, osErrorReason } from "../error_text.ts";

/** Who is logging, and how the error log is set up. */
export interface LoggingOptions {
  role: "master" | "worker";
  settings: Pick<DataSettings, "log_level" | "error_log" | "log_format">;
  /** The worker's slot number, printed on each of its lines. */
  workerId?: number;
}

const LEVEL_COLORS: Record<LogLevel, string> = {
  debug: "\x1b[90m",
  info: "\x1b[32m",
  warning: "\x1b[33m",
  error: "\x1b[31m",
  critical: "\x1b[1;31m",
};

const FIXED_JSON_FIELDS = new Set([
  "time",
  "level",
  "pid",
  "role",
  "worker",
  "category",
  "message",
]);

function textFormatter(options: LoggingOptions, color: boolean): (record: LogRecord) => string {
  const who = options.workerId === undefined
    ? `[${Deno.pid}]`
    : `[${Deno.pid}] [worker ${options.workerId}]`;
  return (record) => {
    const label = `[${record.level.toUpperCase()}]`;
    const level = color ? `${LEVEL_COLORS[record.level]}${label}\x1b[0m` : label;
    let line = `[${localTimestamp(record.timestamp)}] ${who} ${level} ${record.message}`;
    // A logged error keeps its stack trace, like Gunicorn's log.exception().
    for (const value of Object.values(record.properties)) {
      if (value instanceof Error && value.stack) line += "\n" + value.stack;
    }
    return line;
  };
}

function jsonValue(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  return typeof value === "bigint" ? String(value) : value;
}

function jsonFormatter(options: LoggingOptions): (record: LogRecord) => string {
  return (record) => {
    const fields: Record<string, unknown> = {
      time: new Date(record.timestamp).toISOString(),
      level: record.level,
      pid: Deno.pid,
      role: options.role,
      worker: options.workerId,
      category: record.category.join("."),
      message: record.message,
    };
    const full = { ...fields };
    for (const [key, value] of Object.entries(record.properties)) {
      if (!FIXED_JSON_FIELDS.has(key)) full[key] = value;
    }
    try {
      return JSON.stringify(full, jsonValue);
    } catch {
      // A circular property must not cost the record itself.
      return JSON.stringify(fields, jsonValue);
    }
  };
}

function errorLogSink(options: LoggingOptions): { sink: LogSink; close(): void } {
  const target = logTarget(options.settings.error_log, "stderr");
  const toStderr = target === "stderr";
  const out = openLineWriter(target, {
    buffered: false,
    label: "error log",
    onError: toStderr ? () => {} : writeToStderr,
    onResume: toStderr ? () => {} : writeToStderr,
  });
  const color = toStderr && Deno.stderr.isTerminal() && !Deno.noColor;
  const format = options.settings.log_format === "json"
    ? jsonFormatter(options)
    : textFormatter(options, color);
  return { sink: (record) => out.write(format(record)), close: () => out.close() };
}

let closeCurrent = () => {};

/**
 * Sends this process's records at `log_level` and above to the error log.
 * Calling it again (on reload) replaces the previous sink and closes its
 * file.
 *
 * @throws {Deno.errors.NotFound | Deno.errors.PermissionDenied} when `error_log` cannot be opened
 * @example
 * ```ts
 * import { configureLogging } from "./setup.ts";
 * configureLogging({
 *   role: "worker",
 *   workerId: 3,
 *   settings: { log_level: "debug", error_log: "/tmp/herd-error.log", log_format: "json" },
 * });
 * ```
 */
export function configureLogging(options: LoggingOptions): void {
  const next = errorLogSink(options);
  routeLogs(next.sink, options.settings.log_level);
  closeCurrent();
  closeCurrent = next.close;
}

/**
 * Makes sure a log file can be written: creates its directory, opens it for
 * append and closes it again. Off (null or empty) and a standard stream
 * (`-`, `/dev/stdout`...) are always fine. The
 * master calls it at startup for `error_log` and `access_log`, so a bad path
 * is one clear line instead of a worker crash loop.
 *
 * With `dryRun` (`check`), nothing is made: an existing file is opened for
 * append, and a missing one (or directory) must be creatable where it goes,
 * which a file made and removed there at once proves (permissions, a
 * read-only file system).
 *
 * `made` collects what this call created (directories, outermost first, then
 * the file), for {@linkcode removeIfUnused} after a start that fails.
 *
 * @throws {Error} `Cannot open log file "logs/error.log": Permission denied`
 * @example
 * ```ts
 * import { prepareLogTarget } from "./setup.ts";
 * await prepareLogTarget("/tmp/herd-logs/access.log");
 * await prepareLogTarget("/tmp/herd-logs/access.log", { dryRun: true });
 * ```
 */
export async function prepareLogTarget(
  value: string | null,
  options: { dryRun?: boolean; made?: string[] } = {},
): Promise<void> {
  const path = logFile(value);
  if (path === null) return;
  const directory = parentDirectory(path);
  try {
    // Checked first so an existing directory needs no write permission on its parents.
    const info = await statOrNull(directory);
    if (info !== null && !info.isDirectory) throw new Error("Not a directory");
    if (info === null) {
      // The missing directories, innermost first, up to the first that exists.
      const missing = [directory];
      let above = parentDirectory(directory);
      while (await statOrNull(above) === null) {
        missing.push(above);
        above = parentDirectory(above);
      }
      if (options.dryRun) return await createAndRemoveIn(above);
      await Deno.mkdir(directory, { recursive: true });
      options.made?.push(...missing.reverse());
    }
  } catch (error) {
    throw new Error(`Cannot create log directory "${directory}": ${osErrorReason(error)}`);
  }
  try {
    const exists = await statOrNull(path) !== null;
    if (options.dryRun && !exists) await createAndRemoveIn(directory);
    else (await Deno.open(path, { append: true, create: true })).close();
    if (!exists && !options.dryRun) options.made?.push(path);
  } catch (error) {
    throw new Error(`Cannot open log file "${path}": ${osErrorReason(error)}`);
  }
}

/**
 * Removes what {@linkcode prepareLogTarget} made (its `made`), innermost
 * first, as long as it is still empty: a file nothing was written to, a
 * directory with nothing in it. For a start that failed, whose logs would
 * otherwise be left behind as empty files.
 *
 * @example
 * ```ts
 * import { prepareLogTarget, removeIfUnused } from "./setup.ts";
 * const made: string[] = [];
 * await prepareLogTarget("/tmp/herd-example-logs/a.log", { made });
 * await removeIfUnused(made); // both gone again
 * ```
 */
export async function removeIfUnused(made: readonly string[]): Promise<void> {
  for (const path of [...made].reverse()) {
    const info = await Deno.lstat(path).catch(() => null);
    if (info === null || (info.isFile && info.size > 0)) continue;
    // A directory is removed only when empty (not recursive).
    await Deno.remove(path).catch(() => {});
  }
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  return await Deno.stat(path).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  });
}

/**
 * {@linkcode prepareLogTarget} for the error and access logs of `settings`:
 * null when both can be written, else the one-line reason, which names the
 * setting (by `origin`, where it was given, when known).
 *
 * @example
 * ```ts
 * import { prepareLogTargets } from "./setup.ts";
 * await prepareLogTargets({ error_log: "-", access_log: "/tmp/herd-logs/access.log" }); // null
 * ```
 */
export async function prepareLogTargets(
  settings: Pick<DataSettings, "error_log" | "access_log">,
  origin: (name: "error_log" | "access_log") => string = (name) => `"${name}"`,
  options: { dryRun?: boolean; made?: string[] } = {},
): Promise<string | null> {
  for (const name of ["error_log", "access_log"] as const) {
    try {
      await prepareLogTarget(settings[name], options);
    } catch (error) {
      return `${errorMessage(error)} (${origin(name)})`;
    }
  }
  return null;
}

/**
 * Closes and reopens every log file of this process, error log and access
 * log alike, after logrotate moved them (the `reopen_logs` message).
 *
 * @example
 * ```ts
 * import { reopenLogs } from "./setup.ts";
 * reopenLogs();
 * ```
 */
export function reopenLogs(): string[] {
  return reopenAllLineWriters();
}

/**
 * Writes every buffered log line of this process now: call it before a
 * deliberate `Deno.exit()`, which skips the pending 100 ms flush.
 *
 * @example
 * ```ts
 * import { flushLogs } from "./setup.ts";
 * flushLogs();
 * ```
 */
export function flushLogs(): void {
  flushAllLineWriters();
}
