/**
 * The one-line text of an error, for messages that name a culprit and then
 * say what went wrong. Runtime errors carry stack frames, causes and a final
 * period after the first line; Herd's messages keep only that line, with
 * no final period (the Deno std style).
 *
 * @module
 */

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
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split(/\r?\n/).find((l) => l.trim().length > 0)?.trim();
  if (line === undefined) return error instanceof Error ? error.name : "Unknown error";
  return line.replace(/\.$/, "");
}
