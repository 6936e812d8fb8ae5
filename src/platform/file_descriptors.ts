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
 * A lack of file descriptors, and whose it is: this process's, at its
 * open-files limit (`EMFILE`), or the whole system's, its file table full
 * (`ENFILE`: raising the process's limit would not help).
 */
export interface FileDescriptorShortage {
  scope: "process" | "system";
  /** The OS's words: `Too many open files`, or `Too many open files in system`. */
  reason: string;
}

/**
 * The shortage `error` reports, or null when it is no lack of file
 * descriptors.
 *
 * @example
 * ```ts
 * import { descriptorShortageOf } from "./file_descriptors.ts";
 * descriptorShortageOf(new Error("Too many open files in system (os error 23)"));
 * // { scope: "system", reason: "Too many open files in system" }
 * descriptorShortageOf(new Error("Permission denied (os error 13)")); // null
 * ```
 */
export function descriptorShortageOf(error: unknown): FileDescriptorShortage | null {
  if (isOsError(error, "ENFILE")) return { scope: "system", reason: osErrorReason(error) };
  if (isOsError(error, "EMFILE")) return { scope: "process", reason: osErrorReason(error) };
  return null;
}

/**
 * Who lacks file descriptors, in words: the system, or this process, called
 * `name` ("the master", "Herd"), which may have a few left when it asked
 * for `wanted` and got fewer.
 *
 * @example
 * ```ts
 * import { whoLacksDescriptors } from "./file_descriptors.ts";
 * const mine = { scope: "process", reason: "Too many open files" } as const;
 * whoLacksDescriptors(mine, "the master"); // "the master is out of file descriptors"
 * whoLacksDescriptors(mine, "the master", 8); // "the master has fewer than 8 file descriptors free"
 * whoLacksDescriptors({ ...mine, scope: "system" }, "the master", 8); // "the system is out of file descriptors"
 * ```
 */
export function whoLacksDescriptors(
  shortage: FileDescriptorShortage,
  name: string,
  wanted?: number,
): string {
  if (shortage.scope === "system") return "the system is out of file descriptors";
  return wanted === undefined
    ? `${name} is out of file descriptors`
    : `${name} has fewer than ${wanted} file descriptors free`;
}

/**
 * Why this process cannot open `count` more files right now, or null when it
 * can: `/dev/null` is opened `count` times and closed again. Any other
 * failure (no `/dev/null`, no permission to read it) says nothing about
 * descriptors, and gives null.
 *
 * @example
 * ```ts
 * import { fileDescriptorShortage } from "./file_descriptors.ts";
 * fileDescriptorShortage(8); // null, unless this process or the system is out of descriptors
 * ```
 */
export function fileDescriptorShortage(count: number): FileDescriptorShortage | null {
  const opened: Deno.FsFile[] = [];
  try {
    for (let i = 0; i < count; i++) opened.push(Deno.openSync("/dev/null"));
    return null;
  } catch (error) {
    return descriptorShortageOf(error);
  } finally {
    for (const file of opened) file.close();
  }
}
