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
 * `node:path`'s `dirname`, for POSIX paths: `node:path` would load Deno's Node layer in the
 * workers, which import this too.
 *
 * @example
 * ```ts
 * import { parentDirectory } from "./path_exists.ts";
 * parentDirectory("/run/herd/c.sock"); // "/run/herd"
 * parentDirectory("/c.sock"); // "/"
 * parentDirectory("c.sock"); // "."
 * ```
 */
export function parentDirectory(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  const slash = trimmed.lastIndexOf("/");
  if (slash === -1) return ".";
  return slash === 0 ? "/" : trimmed.slice(0, slash);
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
  const dir = parentDirectory(path);
  try {
    return Deno.statSync(dir).isDirectory ? null : dir;
  } catch {
    return dir;
  }
}

/**
 * The first existing ancestor of `path` that is not a directory, which
 * makes `path`'s directory impossible to create; null when nothing is in
 * the way (the directories exist or can be made, permissions aside).
 *
 * @example
 * ```ts
 * import { blockingAncestor } from "./path_exists.ts";
 * blockingAncestor("/etc/hostname/logs/error.log"); // "/etc/hostname"
 * blockingAncestor("/tmp/new/logs/error.log"); // null
 * ```
 */
export function blockingAncestor(path: string): string | null {
  let dir = path;
  while (dir.lastIndexOf("/") > 0) {
    dir = dir.slice(0, dir.lastIndexOf("/"));
    try {
      return Deno.statSync(dir).isDirectory ? null : dir;
    } catch {
      // Missing: it will be created, if its own parent allows.
    }
  }
  return null;
}
