/**
 * A file path as a `file:` URL, for `import()`. It does what `node:url`'s
 * `pathToFileURL` does for POSIX paths, without importing it: any `node:`
 * import makes Deno start its Node compatibility layer, ~4 MB of RSS in
 * every worker that loads an app or hooks this way (measured).
 *
 * @example
 * ```ts
 * import { fileUrl } from "./file_url.ts";
 * fileUrl("app.ts", "/srv/my app"); // "file:///srv/my%20app/app.ts"
 * fileUrl("/srv/100%.ts");          // "file:///srv/100%25.ts"
 * ```
 *
 * @module
 */

// The URL parser would read "%" as an escape, "\" as "/", and drop tabs and newlines.
const RESERVED = /[%\\\t\n\r]/g;

/**
 * The `file:` URL (as a string) of `path`, resolved against `cwd` when
 * relative; `.` and `..` segments are resolved.
 *
 * @example
 * ```ts
 * import { fileUrl } from "./file_url.ts";
 * fileUrl("../config.ts", "/srv/app"); // "file:///srv/config.ts"
 * ```
 */
export function fileUrl(path: string, cwd: string = Deno.cwd()): string {
  const absolute = path.startsWith("/") ? path : `${cwd}/${path}`;
  const url = new URL("file:///");
  url.pathname = absolute.replace(
    RESERVED,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
  return url.href;
}

// Two letters or more: "C:" is a drive letter, not a scheme.
const SCHEME = /^[a-z][a-z0-9+.-]+:/i;

/**
 * Whether `specifier` is a URL or a registry specifier (`file:`, `https:`,
 * `npm:`) rather than a file path.
 *
 * @example
 * ```ts
 * import { hasScheme } from "./file_url.ts";
 * hasScheme("npm:hono@4/app"); // true
 * hasScheme("src/app.ts"); // false
 * ```
 */
export function hasScheme(specifier: string): boolean {
  return SCHEME.test(specifier);
}
