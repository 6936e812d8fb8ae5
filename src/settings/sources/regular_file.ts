/**
 * Configuration is read from regular files only: reading a FIFO waits for a
 * writer that may never come (Herd would hang before saying anything), and a
 * directory or a device gives an error in the runtime's words, or worse.
 *
 * @module
 */

/**
 * What `info` (from `Deno.stat`, which follows symlinks) is when it is not a
 * regular file, for the end of a one-line problem; null for a regular file.
 *
 * @example
 * ```ts
 * import { notRegularFile } from "./regular_file.ts";
 * notRegularFile(Deno.statSync("/tmp")); // "a directory, not a regular file"
 * notRegularFile(Deno.statSync("/etc/hostname")); // null
 * ```
 */
export function notRegularFile(info: Deno.FileInfo): string | null {
  if (info.isFile) return null;
  const kind = info.isDirectory
    ? "a directory"
    : info.isFifo
    ? "a FIFO (named pipe)"
    : info.isSocket
    ? "a socket"
    : info.isCharDevice || info.isBlockDevice
    ? "a device"
    : "something else";
  return `${kind}, not a regular file`;
}
