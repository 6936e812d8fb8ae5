/**
 * Whether this process is out of file descriptors (`EMFILE`: its open-files
 * limit; `ENFILE`: the system's). One thing cannot fail gracefully then:
 * Deno panics when it imports a module with no descriptor left (its parser's
 * stack check, `stacker`, reads `/proc/self/maps`), which no `try`/`catch`
 * can catch, so an import asks first (config.ts's, `config_file.ts`). Reading
 * a file (`.env`, a certificate) only fails, with `Too many open files`.
 *
 * @module
 */
import { isOsError, osErrorReason } from "../error_text.ts";

/**
 * True when `error` says the process (`EMFILE`) or the system (`ENFILE`) has
 * no file descriptor left.
 *
 * @example
 * ```ts
 * import { isOutOfFileDescriptors } from "./file_descriptors.ts";
 * isOutOfFileDescriptors(new Error("Too many open files (os error 24)")); // true
 * isOutOfFileDescriptors(new Deno.errors.PermissionDenied("Permission denied (os error 13)")); // false
 * ```
 */
export function isOutOfFileDescriptors(error: unknown): boolean {
  return isOsError(error, "EMFILE", "ENFILE");
}

/**
 * Why this process cannot open `count` more files right now (the OS's words,
 * `Too many open files`), or null when it can: `/dev/null` is opened `count`
 * times and closed again. Any other failure (no `/dev/null`, no permission
 * to read it) says nothing about descriptors, and gives null.
 *
 * @example
 * ```ts
 * import { fileDescriptorShortage } from "./file_descriptors.ts";
 * fileDescriptorShortage(8); // null, unless the process is out of file descriptors
 * ```
 */
export function fileDescriptorShortage(count: number): string | null {
  const opened: Deno.FsFile[] = [];
  try {
    for (let i = 0; i < count; i++) opened.push(Deno.openSync("/dev/null"));
    return null;
  } catch (error) {
    return isOutOfFileDescriptors(error) ? osErrorReason(error) : null;
  } finally {
    for (const file of opened) file.close();
  }
}
