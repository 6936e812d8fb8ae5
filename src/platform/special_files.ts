/**
 * Deno's rule for "special" files on Linux: a process may open a path under
 * `/dev`, `/proc` or `/sys` only with every permission (`-A`), whatever its
 * scoped `--allow-read`/`--allow-write` say, except a few harmless ones.
 * Herd's workers run with scoped permissions, so a log file there would
 * fail every worker's boot with Deno's "Requires all access" error.
 *
 * @module
 */

// Deno 2.9's exceptions (runtime/permissions: check_special_file), write access included.
const HARMLESS = new Set(["/dev/null", "/dev/zero", "/dev/random", "/dev/urandom"]);
const GUARDED = ["/dev/", "/proc/", "/sys/"];

/**
 * True when Deno opens `path` (absolute) only for a process with every
 * permission. Pipes passed as `/dev/fd/N` (N > 2) are also allowed by Deno;
 * they are not log files, so this does not look for them.
 *
 * @example
 * ```ts
 * import { needsAllPermissions } from "./special_files.ts";
 * needsAllPermissions("/dev/shm/access.log"); // true
 * needsAllPermissions("/dev/null"); // false
 * needsAllPermissions("/var/log/herd/access.log"); // false
 * ```
 */
export function needsAllPermissions(path: string): boolean {
  if (Deno.build.os !== "linux" || HARMLESS.has(path)) return false;
  return GUARDED.some((prefix) => path.startsWith(prefix));
}
