/**
 * Where the master's control socket lives, derived from the configuration
 * so that `status` and `reopen-logs`, run with the same configuration as
 * `serve`, find the running master; and which service a master runs, so
 * that `check` tells the running master of its own service from another's.
 *
 * @module
 */
import type { ServiceIdentity } from "./protocol.ts";

/**
 * The control socket path: `control_socket` if set, else
 * `<XDG_RUNTIME_DIR or /tmp>/herd-<uid>/<key>/control.sock` where the key
 * is the configured bind addresses (as written, so `port 0` still matches).
 *
 * Each master has a directory of its own under `herd-<uid>`, whose mode it
 * sets for its workers: masters of one user whose workers run as different
 * users (or as none) then never change each other's (see `listenControl`).
 *
 * @example
 * ```ts
 * import { controlSocketPath } from "./control_path.ts";
 * controlSocketPath({ control_socket: null, bind: [], host: "127.0.0.1", port: 8080 });
 * // "/tmp/herd-1000/127.0.0.1_8080/control.sock"
 * ```
 */
export function controlSocketPath(
  s: { control_socket: string | null; bind: string[]; host: string; port: number },
): string {
  if (s.control_socket) return s.control_socket;
  const binds = s.bind.length > 0 ? s.bind : [`${s.host}:${s.port}`];
  let key = binds.join("+").replace(/[^A-Za-z0-9.+-]+/g, "_");
  // sun_path holds 108 bytes; keep well inside it.
  if (key.length > 60) key = `${key.slice(0, 40)}-${hash(key)}`;
  return `${userControlDirectory()}/${key}/${CONTROL_SOCKET_NAME}`;
}

/**
 * This user's directory of control sockets, `<XDG_RUNTIME_DIR or /tmp>/herd-<uid>`: one
 * directory per master in it, each holding its {@linkcode CONTROL_SOCKET_NAME}.
 *
 * @example
 * ```ts
 * import { userControlDirectory } from "./control_path.ts";
 * userControlDirectory(); // "/tmp/herd-1000"
 * ```
 */
export function userControlDirectory(): string {
  // The XDG spec: a relative value is to be ignored.
  const runtimeDir = Deno.env.get("XDG_RUNTIME_DIR");
  const base = runtimeDir?.startsWith("/") ? runtimeDir : "/tmp";
  return `${base}/herd-${Deno.uid() ?? "x"}`;
}

/** The socket's file name in a master's own directory under `herd-<uid>`. */
export const CONTROL_SOCKET_NAME = "control.sock";

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16);
}

/**
 * The name a master's control socket moves to while a USR2 upgrade hands
 * the configured one to the new master: where `status` still finds it.
 *
 * @example
 * ```ts
 * import { movedAsidePath } from "./control_path.ts";
 * movedAsidePath("/run/herd/c.sock"); // "/run/herd/c.sock.oldbin"
 * ```
 */
export function movedAsidePath(path: string): string {
  return `${path}.oldbin`;
}

/**
 * The path one master listens at, and gives its workers: it never moves
 * (the configured path is a second name for it).
 *
 * @example
 * ```ts
 * import { ownSocketPath } from "./control_path.ts";
 * ownSocketPath("/run/herd/c.sock", 4242); // "/run/herd/c.sock.4242"
 * ```
 */
export function ownSocketPath(path: string, pid: number): string {
  return `${path}.${pid}`;
}

/**
 * This process's {@linkcode ServiceIdentity}, with `config` the config.ts it resolved.
 *
 * @example
 * ```ts
 * import { serviceIdentity } from "./control_path.ts";
 * serviceIdentity("/srv/app/config.ts"); // { cwd: "/srv/app", config: "/srv/app/config.ts", main: "file:///srv/app/main.ts" }
 * ```
 */
export function serviceIdentity(config: string | null): ServiceIdentity {
  return { cwd: Deno.cwd(), config, main: Deno.mainModule };
}

/**
 * Whether two identities are one service: the same program with the same config.ts, or, with
 * none, started in the same directory (where `.env` and the app are looked up).
 *
 * @example
 * ```ts
 * import { sameService } from "./control_path.ts";
 * const a = { cwd: "/srv/app", config: "/srv/app/config.ts", main: "file:///srv/app/main.ts" };
 * sameService(a, { ...a, cwd: "/" }); // true
 * sameService(a, { ...a, config: "/srv/other/config.ts" }); // false
 * ```
 */
export function sameService(a: ServiceIdentity, b: ServiceIdentity): boolean {
  if (a.main !== b.main) return false;
  return a.config !== null || b.config !== null ? a.config === b.config : a.cwd === b.cwd;
}
