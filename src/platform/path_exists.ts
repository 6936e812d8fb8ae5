/**
 * Whether something exists at a path: file, directory, socket or a symlink's
 * target. For decisions that only branch on presence (what to watch, what to
 * embed, whether a socket was removed); code that goes on to use the file
 * opens it and handles the error instead.
 *
 * @module
 */

/**
 * True when `path` exists (following symlinks); false on any error,
 * including a missing permission.
 *
 * @example
 * ```ts
 * import { pathExists } from "./path_exists.ts";
 * pathExists("/etc/hostname"); // true on most Linux systems
 * ```
 */
export function pathExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The directory `path` would be created in, when that is not a directory
 * (missing, or a file); null when it is one.
 *
 * @example
 * ```ts
 * import { missingParent } from "./path_exists.ts";
 * missingParent("/no-such-dir/herd.pid"); // "/no-such-dir"
 * missingParent("/tmp/herd.pid"); // null
 * ```
 */
export function missingParent(path: string): string | null {
  const slash = path.lastIndexOf("/");
  const dir = slash === -1 ? "." : path.slice(0, slash) || "/";
  try {
    return Deno.statSync(dir).isDirectory ? null : dir;
  } catch {
    return dir;
  }
}
