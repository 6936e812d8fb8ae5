/**
 * The text of an error, for messages that name a culprit and then say what
 * went wrong. Runtime errors carry stack frames, causes and a final period
 * after the first line, and Deno's I/O errors the errno and the path; Herd's
 * messages keep only the reason, with no final period (the Deno std style).
 *
 * @module
 */

/**
 * The message of `error` when it is an `Error`, otherwise what was thrown,
 * on one line (anything may be thrown; an object's `String()` would say only
 * `[object Object]`).
 *
 * @example
 * ```ts
 * import { errorMessage } from "./error_text.ts";
 * errorMessage(new RangeError("Too big")); // "Too big"
 * errorMessage("thrown string"); // "thrown string"
 * errorMessage({ code: 7 }); // "{ code: 7 }"
 * ```
 */
export function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.message);
    if (typeof error !== "object" || error === null) return String(error);
    return Deno.inspect(error, { depth: 2, breakLength: Infinity, colors: false });
  } catch {
    // Anything may be thrown: a revoked Proxy, an Error whose `message` getter throws.
    return UNSHOWABLE;
  }
}

const UNSHOWABLE = "a value that cannot be shown (a revoked Proxy, or getters that throw)";

/**
 * What an app threw, as text, whatever it threw, for a log line: an Error's
 * stack (its message when the stack is no string), another value as
 * {@linkcode errorMessage} gives it. Never throws: a request must be answered
 * and logged even when the app throws a revoked Proxy, or an Error whose
 * `stack` was set to a number or whose getters throw.
 *
 * @example
 * ```ts
 * import { thrownText } from "./error_text.ts";
 * thrownText(new Error("boom")).startsWith("Error: boom"); // true
 * const { proxy, revoke } = Proxy.revocable({}, {});
 * revoke();
 * thrownText(proxy); // "a value that cannot be shown (a revoked Proxy, or getters that throw)"
 * ```
 */
export function thrownText(value: unknown): string {
  try {
    if (!(value instanceof Error)) return errorMessage(value);
    const stack = value.stack;
    return typeof stack === "string" ? stack : `${value.name}: ${value.message}`;
  } catch {
    try {
      return String(value);
    } catch {
      return UNSHOWABLE;
    }
  }
}

/**
 * The reason in a Deno I/O error's message, without the `(os error N)`
 * Deno appends and what follows it (the call and the path, which the
 * caller's message names already).
 *
 * @example
 * ```ts
 * import { osErrorReason } from "./error_text.ts";
 * osErrorReason(new Error("Permission denied (os error 13): open '/var/log/x'")); // "Permission denied"
 * ```
 */
export function osErrorReason(error: unknown): string {
  return errorMessage(error).replace(/ \(os error \d+\).*$/s, "");
}

// Their numbers on Linux (and, for the last two, macOS), which Deno's messages carry as
// `(os error N)` where the error has no `code`.
const ERRNO = { EAGAIN: 11, ENOMEM: 12, ENFILE: 23, EMFILE: 24 } as const;

/**
 * Whether `error` is one of the OS errors `names`, by its `code` or the
 * `(os error N)` of its message (a spawn's error has only the latter).
 *
 * @example
 * ```ts
 * import { isOsError } from "./error_text.ts";
 * isOsError(new Error("Failed to spawn 'deno': Too many open files (os error 24)"), "EMFILE"); // true
 * isOsError(new Error("Permission denied (os error 13)"), "EMFILE", "ENFILE"); // false
 * ```
 */
export function isOsError(error: unknown, ...names: (keyof typeof ERRNO)[]): boolean {
  let code: unknown;
  try {
    code = (error as { code?: unknown } | null)?.code;
  } catch {
    return false; // A revoked Proxy.
  }
  const errno = Number(/\(os error (\d+)\)/.exec(errorMessage(error))?.[1]);
  return names.some((name) => code === name || errno === ERRNO[name]);
}

/**
 * The first non-blank line of `error`'s message, trimmed, without a final
 * period; the error's name when the message is empty.
 *
 * @example
 * ```ts
 * import { firstLine } from "./error_text.ts";
 * firstLine(new Error("Module not found.\n    at foo.ts:1:1")); // "Module not found"
 * ```
 */
export function firstLine(error: unknown): string {
  const line = errorMessage(error).split(/\r?\n/).find((l) => l.trim().length > 0)?.trim();
  if (line === undefined) return error instanceof Error ? error.name : "Unknown error";
  return line.replace(/\.$/, "");
}

/**
 * What was thrown, in one line: an Error's name and {@linkcode firstLine},
 * another value's first line.
 *
 * @example
 * ```ts
 * import { namedFirstLine } from "./error_text.ts";
 * namedFirstLine(new TypeError("x is not a function")); // "TypeError: x is not a function"
 * namedFirstLine("thrown string"); // "thrown string"
 * ```
 */
export function namedFirstLine(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${firstLine(error)}` : firstLine(error);
}

// What `--allow-sys=` takes (Deno 2.9): some checks name a kind no flag accepts (`umask`),
// which only the unscoped `--allow-sys` grants.
const SYS_SCOPES = new Set([
  "hostname",
  "osRelease",
  "osUptime",
  "loadavg",
  "networkInterfaces",
  "systemMemoryInfo",
  "uid",
  "gid",
  "cpus",
  "homedir",
  "getegid",
  "statfs",
  "getPriority",
  "setPriority",
  "userInfo",
  "username",
]);

// Deno's words when a permission is missing: `Requires env access to "X", run again with the
// --allow-env flag` (no `to "X"` when the whole kind is asked for).
const DENIED = /Requires (\w+) access( to "([^"\n]*)")?, run again with the (--allow-[\w-]+) flag/g;

/**
 * `text` with Deno's advice for a missing permission (`run again with the
 * --allow-env flag`, which a worker's user cannot do) turned into Herd's:
 * the entry to add to `worker_permissions`. Other text is returned as is.
 *
 * @example
 * ```ts
 * import { workerPermissionAdvice } from "./error_text.ts";
 * workerPermissionAdvice('Requires env access to "DB_URL", run again with the --allow-env flag');
 * // 'Requires env access to "DB_URL": workers have narrow permissions; add "--allow-env=DB_URL" to worker_permissions'
 * ```
 */
export function workerPermissionAdvice(text: string): string {
  return text.replace(DENIED, (_, kind, to = "", target, flag) => {
    const grant = target === undefined || (kind === "sys" && !SYS_SCOPES.has(target))
      ? flag
      : `${flag}=${target}`;
    return `Requires ${kind} access${to}: workers have narrow permissions; add "${grant}" to worker_permissions`;
  });
}

// A module that fails to parse says where on a line of its own: `    at file:///x/app.ts:2:13`
// (with the query string of a module imported as `config.ts?load=2`).
const PARSE_PLACE = /^\s+at file:\/\/([^\s?]+)(?:\?\S*?)?(:\d+:\d+)\s*$/m;

/**
 * {@linkcode firstLine} of an import's failure, with the place Deno gives
 * for a module that does not parse (its first line names none).
 *
 * @example
 * ```ts
 * import { importFailure } from "./error_text.ts";
 * importFailure(new SyntaxError("Expected ',', got ';'\n  |\n    at file:///srv/config.ts:2:13"));
 * // "Expected ',', got ';' (at /srv/config.ts:2:13)"
 * ```
 */
export function importFailure(error: unknown): string {
  const place = PARSE_PLACE.exec(errorMessage(error));
  if (place === null) return firstLine(error);
  return `${firstLine(error)} (at ${decodeURI(place[1])}${place[2]})`;
}

// config.ts is imported as `config.ts?load=<time>.<n>`, so a reload gets a new module.
const LOAD_QUERY = /\?load=\d+\.\d+/g;

/**
 * `text` without the query Herd adds to each import of config.ts: its stack
 * frames name the file as the user wrote it.
 *
 * @example
 * ```ts
 * import { withoutLoadQuery } from "./error_text.ts";
 * withoutLoadQuery("at file:///srv/config.ts?load=1795869009326.1:1:26");
 * // "at file:///srv/config.ts:1:26"
 * ```
 */
export function withoutLoadQuery(text: string): string {
  return text.replace(LOAD_QUERY, "");
}

/**
 * `error`, to log, when it is an `Error` with a stack to show; otherwise null.
 * A stack that names config.ts with Herd's query is shown by a stand-in (the
 * same name and message, the stack rewritten by {@linkcode withoutLoadQuery},
 * and still an instance of its class): the error is the app's, which may keep
 * it, or have frozen it. Never throws (a revoked Proxy, a stack getter that
 * throws: null).
 *
 * @example
 * ```ts
 * import { withUserStack } from "./error_text.ts";
 * withUserStack(new Error("boom"))?.stack; // "Error: boom\n    at ..."
 * withUserStack("thrown string"); // null
 * ```
 */
export function withUserStack(error: unknown): Error | null {
  try {
    if (!(error instanceof Error) || typeof error.stack !== "string") return null;
    const stack = withoutLoadQuery(error.stack);
    if (stack === error.stack) return error;
    return Object.create(error, {
      name: { value: error.name },
      message: { value: error.message },
      stack: { value: stack },
    });
  } catch {
    return null;
  }
}
