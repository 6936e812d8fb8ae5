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
