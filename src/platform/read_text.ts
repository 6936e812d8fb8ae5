/**
 * The one place platform detection touches the file system: read a small
 * text file, or get `null` when it is missing or may not be read.
 *
 * The pure parsers in this folder take a {@linkcode ReadText} so that tests
 * feed them sample files instead of this machine's `/proc` and `/sys`.
 *
 * @module
 */
import { isOutOfFileDescriptors } from "./file_descriptors.ts";

/** Reads a text file; `null` when it does not exist or cannot be read. */
export type ReadText = (path: string) => string | null;

/**
 * Reads `path`, or returns `null` on any failure.
 *
 * The read permission is queried first: without it Deno would prompt on a
 * terminal, and a server must never stop to ask. Under `/proc` and
 * `/sys/fs/cgroup` Deno 2.9 also wants `--allow-all` even when reading is
 * granted; that `NotCapable` error is swallowed like any other.
 * `throwWhenShort`: a process out of file descriptors throws that error
 * instead, for a caller that must not take it for a missing file.
 *
 * @throws {Error} `EMFILE` or `ENFILE`, with `throwWhenShort` only
 * @example
 * ```ts
 * import { readTextOrNull } from "./read_text.ts";
 * readTextOrNull("/proc/self/cgroup"); // "0::/\n", or null without --allow-all
 * readTextOrNull("/proc/self/cgroup", { throwWhenShort: true }); // the same, unless out of files
 * ```
 */
export function readTextOrNull(
  path: string,
  options: { throwWhenShort?: boolean } = {},
): string | null {
  try {
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return null;
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (options.throwWhenShort && isOutOfFileDescriptors(error)) throw error;
    return null;
  }
}
