/**
 * The master's side of `unix:PATH` binds: before the workers start, a path
 * left by a crashed run is cleared only when nothing answers on it; at exit,
 * the path is removed unless something answers (a successor master started
 * by USR2 owns it then). Worker 1 creates the socket itself (see
 * `src/worker/serve_app.ts`).
 *
 * @example
 * ```ts
 * import { clearStaleSocket } from "./unix_socket.ts";
 * const outcome = await clearStaleSocket("/run/herd.sock");
 * if (outcome === "in_use") console.error("error: Address unix:/run/herd.sock is already in use");
 * ```
 *
 * @module
 */

/** What was found at a socket path. */
export interface SocketProbe {
  exists: boolean;
  isSocket: boolean;
  /** A connect() succeeded: a live server owns it. */
  answers: boolean;
}

/** What to do about a socket path before binding it. */
export type SocketVerdict = "free" | "stale" | "in_use" | "not_a_socket";

/**
 * Pure: the decision for a socket path, from what was found there.
 *
 * @example
 * ```ts
 * import { socketVerdict } from "./unix_socket.ts";
 * socketVerdict({ exists: true, isSocket: true, answers: false }); // "stale"
 * ```
 */
export function socketVerdict(probe: SocketProbe): SocketVerdict {
  if (!probe.exists) return "free";
  if (!probe.isSocket) return "not_a_socket";
  return probe.answers ? "in_use" : "stale";
}

/**
 * Looks at `path`: does it exist, is it a socket, does something answer.
 *
 * @example
 * ```ts
 * import { probeSocket } from "./unix_socket.ts";
 * await probeSocket("/tmp/none.sock"); // { exists: false, isSocket: false, answers: false }
 * ```
 */
export async function probeSocket(path: string): Promise<SocketProbe> {
  const info = await Deno.lstat(path).catch(() => null);
  if (info === null) return { exists: false, isSocket: false, answers: false };
  if (!info.isSocket) return { exists: true, isSocket: false, answers: false };
  try {
    (await Deno.connect({ transport: "unix", path })).close();
    return { exists: true, isSocket: true, answers: true };
  } catch {
    return { exists: true, isSocket: true, answers: false };
  }
}

/**
 * Removes a stale socket at `path` and says what was there. `in_use` and
 * `not_a_socket` leave the path alone: the caller refuses to start.
 *
 * @example
 * ```ts
 * import { clearStaleSocket } from "./unix_socket.ts";
 * await clearStaleSocket("/tmp/herd.sock"); // "free", "stale" (now removed), ...
 * ```
 */
export async function clearStaleSocket(path: string): Promise<SocketVerdict> {
  const verdict = socketVerdict(await probeSocket(path));
  if (verdict === "stale") await Deno.remove(path).catch(() => {});
  return verdict;
}

/**
 * At exit: removes the socket at `path` unless something still answers on
 * it. Resolves true when it removed it.
 *
 * @example
 * ```ts
 * import { releaseSocket } from "./unix_socket.ts";
 * await releaseSocket("/tmp/herd.sock");
 * ```
 */
export async function releaseSocket(path: string): Promise<boolean> {
  if (socketVerdict(await probeSocket(path)) !== "stale") return false;
  return await Deno.remove(path).then(() => true, () => false);
}

// sun_path: 108 bytes on Linux, 104 on macOS and the BSDs; the last a NUL.
const SUN_PATH_BYTES = Deno.build.os === "linux" ? 108 : 104;

/**
 * Why `path` (with `suffix`, a name Herd also binds beside it) cannot name a
 * Unix socket, too long for `sun_path`; or null.
 *
 * @example
 * ```ts
 * import { unixPathTooLong } from "./unix_socket.ts";
 * unixPathTooLong("/tmp/h.sock", ".new"); // null
 * unixPathTooLong("/tmp/" + "x".repeat(120), ".new");
 * // 'too long for a socket: with the ".new" Herd adds, 129 bytes (at most 107)' on Linux
 * ```
 */
export function unixPathTooLong(path: string, suffix: string): string | null {
  const bytes = new TextEncoder().encode(path + suffix).length;
  const most = SUN_PATH_BYTES - 1;
  return bytes > most
    ? `too long for a socket: with the "${suffix}" Herd adds, ${bytes} bytes (at most ${most})`
    : null;
}
