/**
 * Gives up the worker's FFI permission once the SIGUSR1 guard no longer
 * needs it. The guard (`src/platform/inspector_guard.ts`) binds libc's
 * `signal()` when it starts; a bound symbol keeps working after
 * `Deno.permissions.revokeSync({ name: "ffi" })` (measured on Deno 2.9.6),
 * while any later `Deno.dlopen` fails with `NotCapable`. Called before the
 * app is imported, it leaves the app without FFI, which could otherwise
 * step around every other permission of Herd's narrow worker sandbox.
 *
 * FFI stays when the user asked for it (`worker_permissions` with
 * `--allow-ffi…` or `all`), and when the worker is not in Herd's sandbox at
 * all (unscoped read: a compiled binary, or `-A`), where FFI is the user's.
 *
 * @example
 * ```ts
 * import { releaseFfi } from "./release_ffi.ts";
 * releaseFfi(["--allow-env=DATABASE_URL"]); // "released" in a sandboxed worker
 * ```
 *
 * @module
 */

/** What {@linkcode releaseFfi} did, and why. */
export type FfiRelease = "released" | "declared" | "unsandboxed";

/**
 * Revokes FFI unless `declared` (the `worker_permissions` flags) asks for
 * it or the process is not sandboxed.
 *
 * @example
 * ```ts
 * import { releaseFfi } from "./release_ffi.ts";
 * releaseFfi(["--allow-ffi"]); // "declared": the app keeps it
 * ```
 */
export function releaseFfi(declared: readonly string[]): FfiRelease {
  if (declared.some((flag) => flag === "all" || /^--allow-(all|ffi)(=|$)/.test(flag))) {
    return "declared";
  }
  if (Deno.permissions.querySync({ name: "read" }).state === "granted") return "unsandboxed";
  Deno.permissions.revokeSync({ name: "ffi" });
  return "released";
}
