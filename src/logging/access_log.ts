/**
 * The access log of a worker: one line per answered request, formatted by
 * `access_format.ts` and appended through a buffered `line_writer.ts`.
 *
 * Cost per request: formatting plus encoding into a byte buffer, a few µs
 * (see the bench in `tests/unit/logging/access_log_bench.ts`); the file write is one
 * `writeSync` per 64 KiB or 100 ms batch. A failing write (disk full, a
 * closed stdout) never throws into the request path: the batch is dropped
 * and the failure reported once on the error log.
 *
 * @example
 * ```ts
 * import { openAccessLog } from "./access_log.ts";
 * const access = openAccessLog({
 *   access_log: "-",
 *   access_log_format: '%(h)s "%(r)s" %(s)s',
 *   forwarded_allow_ips: ["127.0.0.1"],
 * });
 * Deno.serve({ port: 0 }, (req, info) => {
 *   const started = Date.now();
 *   const res = new Response("hi");
 *   access?.write(req, info, res, started, Date.now() - started);
 *   return res;
 * });
 * ```
 *
 * @module
 */
import type { DataSettings } from "../settings/table.ts";
import { type AccessEntry, compileAccessFormat, measuresDuration } from "./access_format.ts";
import { logTarget, openLineWriter } from "./line_writer.ts";
import { getLog } from "./log.ts";

/** Writes access-log lines for one worker. */
export interface AccessLogger {
  /**
   * True when the format writes the request's duration: the line is then written once the
   * response's body was sent (`info.completed`), so a streamed response counts whole.
   */
  readonly timesBody: boolean;
  /** Logs one answered request. Never throws. */
  write(
    req: Request,
    info: Deno.ServeHandlerInfo,
    res: Response,
    startedAtMs: number,
    durationMs: number,
  ): void;
  /** Writes pending lines now (before a drain finishes, say). */
  flush(): void;
  /** Flushes and reopens the file (logrotate); why it could not, or null. A no-op for stdout. */
  reopen(): string | null;
  /** Flushes and closes; later writes are dropped. */
  close(): void;
}

/**
 * Opens the access log the settings describe: `null` when it is off, stdout
 * for `-`, otherwise the path, appended to.
 *
 * @throws {Deno.errors.NotFound | Deno.errors.PermissionDenied} when the file cannot be opened
 * @example
 * ```ts
 * import { openAccessLog } from "./access_log.ts";
 * const access = openAccessLog({
 *   access_log: "/tmp/herd-access.log",
 *   access_log_format: "json",
 *   forwarded_allow_ips: [],
 * });
 * access?.close();
 * ```
 */
export function openAccessLog(
  settings: Pick<DataSettings, "access_log" | "access_log_format" | "forwarded_allow_ips">,
): AccessLogger | null {
  if (settings.access_log === null) return null;
  const toLine = compileAccessFormat(settings.access_log_format, {
    forwardedAllowIps: settings.forwarded_allow_ips,
  });
  const out = openLineWriter(
    logTarget(settings.access_log, "stdout"),
    {
      label: "access log",
      onError: (message) => getLog("access").error(message),
      onResume: (message) => getLog("access").warning(message),
    },
  );
  let warned = false;
  const line = (entry: AccessEntry) => {
    // A text line goes to the buffer piece by piece, not as one string (~0.2 µs less a line).
    if (toLine.pieces) out.writePieces(toLine.pieces, entry);
    else out.write(toLine(entry));
  };
  return {
    timesBody: measuresDuration(settings.access_log_format),
    write(req, info, res, startedAtMs, durationMs) {
      const entry = { req, info, res, startedAtMs, durationMs };
      try {
        line(entry);
      } catch (error) {
        // What Deno refuses to read is left out, and the line written with the rest. (A
        // half-written line is never queued.)
        const readable = readableInstead(entry, error);
        if (readable !== null && writes(line, readable)) return;
        // An odd Response must not fail the request, nor flood the error log.
        if (!warned) getLog("access").warning(`Cannot format an access-log line: ${error}`);
        warned = true;
      }
    },
    flush: () => out.flush(),
    reopen: () => out.reopen(),
    close: () => out.close(),
  };
}

/**
 * `entry` with what Deno refused to read replaced, or null when that is not why `error` came:
 * - once upgraded to a WebSocket, Deno refuses the request's headers ("Request closed"),
 *   whatever the answer, but keeps its method and URL (it read them to upgrade): a copy of the
 *   request without headers;
 * - a frozen Response (an app may freeze one it keeps) throws on `headers`, whose getter writes
 *   to it, but its status reads: a stand-in with no headers (`%(b)s` is `-`).
 */
function readableInstead(entry: AccessEntry, error: unknown): AccessEntry | null {
  try {
    if (error instanceof TypeError && error.message === "Request closed") {
      return { ...entry, req: new Request(entry.req.url, { method: entry.req.method }) };
    }
    if (!Object.isExtensible(entry.res)) {
      return { ...entry, res: { status: entry.res.status, headers: new Headers() } as Response };
    }
  } catch {
    // Not readable either way.
  }
  return null;
}

/** Writes `entry`'s line; false, and nothing queued, if that fails. */
function writes(line: (entry: AccessEntry) => void, entry: AccessEntry): boolean {
  try {
    line(entry);
    return true;
  } catch {
    return false;
  }
}
