/**
 * Who the workers run as: the `user` and `group` settings resolved to ids,
 * the check that only root can switch to them, and the production refusal
 * of root workers. Decided once at startup, before anything is opened, so
 * a wrong setting stops Herd with one line and nothing to clean up.
 *
 * @example
 * ```ts
 * import { resolveWorkerUser } from "./worker_user.ts";
 * const user = resolveWorkerUser(
 *   { env: "production", user: "www-data", group: null, allow_root: false, env_prefix: "HERD" },
 *   0,
 * );
 * if (typeof user === "string") console.error(`error: ${user}`);
 * ```
 *
 * @module
 */
import { lookupGroup, lookupUser, rootRefusal } from "../platform/privileges.ts";
import type { DataSettings } from "../settings/table.ts";

/** The ids to give `Deno.Command`; null keeps the master's. */
export interface WorkerUser {
  uid: number | null;
  gid: number | null;
}

/** The settings {@linkcode resolveWorkerUser} reads. */
export type WorkerUserSettings = Pick<
  DataSettings,
  "env" | "user" | "group" | "allow_root" | "env_prefix"
>;

/**
 * Resolves the workers' user and group, or returns a one-line reason Herd
 * must not start. `masterUid` is `Deno.uid()` (null where unknown).
 *
 * @example
 * ```ts
 * import { resolveWorkerUser } from "./worker_user.ts";
 * const settings = { env: "development" as const, user: null, group: null, allow_root: false,
 *   env_prefix: "HERD" };
 * resolveWorkerUser(settings, 1000); // { uid: null, gid: null }
 * resolveWorkerUser({ ...settings, user: "nobody" }, 1000);
 * // 'Cannot run workers as user "nobody" ("user": HERD_USER, --user or config.ts): the master must start as root, not uid 1000'
 * ```
 */
export function resolveWorkerUser(
  settings: WorkerUserSettings,
  masterUid: number | null,
  origin?: (name: "user" | "group") => string,
): WorkerUser | string {
  const refusal = rootRefusal(settings, masterUid);
  if (refusal !== null) return refusal;
  // Where it was given (see `originsOf`); unknown: every place it can be.
  const from = origin ??
    ((name: "user" | "group") =>
      `"${name}": ${settings.env_prefix}_${name.toUpperCase()}, --${name} or config.ts`);
  let uid: number | null = null;
  let gid: number | null = null;
  if (settings.user !== null) {
    const ids = lookupUser(settings.user);
    if (ids === null) {
      return `Unknown user "${settings.user}" (${from("user")}): not in /etc/passwd`;
    }
    ({ uid, gid } = ids);
  }
  if (settings.group !== null) {
    gid = lookupGroup(settings.group);
    if (gid === null) {
      return `Unknown group "${settings.group}" (${from("group")}): not in /etc/group`;
    }
  }
  const switching = (uid !== null && uid !== masterUid) || settings.group !== null;
  if (switching && masterUid !== 0) {
    const what = settings.user !== null
      ? `user "${settings.user}" (${from("user")})`
      : `group "${settings.group}" (${from("group")})`;
    return `Cannot run workers as ${what}: the master must start as root, not uid ${masterUid}`;
  }
  return { uid, gid };
}
