/**
 * Users, groups and the root check: resolve the `user` and `group`
 * settings against `/etc/passwd` and `/etc/group`, and refuse to serve a
 * production app from workers running as root.
 *
 * The parsers take the file's text, so tests pass sample files; when it is
 * omitted the real file is read.
 *
 * ```ts
 * import { lookupGroup, lookupUser, rootRefusal } from "./privileges.ts";
 * lookupUser("www-data"); // { uid: 33, gid: 33 }
 * lookupGroup("www-data"); // 33
 * rootRefusal({ env: "production", user: null }, 0); // "Refusing to run workers as root ..."
 * ```
 *
 * @module
 */
import { readTextOrNull } from "./read_text.ts";

/** A user's numeric identity. */
export interface UserIds {
  uid: number;
  /** The primary group from `/etc/passwd`. */
  gid: number;
}

/**
 * Resolves a user name or numeric uid, or returns `null` for an unknown
 * name. A numeric uid not listed in `passwdText` is still accepted (images
 * often run with an arbitrary uid and no passwd entry); its group is then
 * the same number, following the one-group-per-user convention of
 * `useradd`, and can be overridden with the `group` setting.
 *
 * @example
 * ```ts
 * import { lookupUser } from "./privileges.ts";
 * const passwd = "root:x:0:0:root:/root:/bin/sh\nherd:x:999:998::/app:/usr/sbin/nologin\n";
 * lookupUser("herd", passwd); // { uid: 999, gid: 998 }
 * lookupUser("999", passwd); // { uid: 999, gid: 998 }
 * lookupUser("nobody-here", passwd); // null
 * ```
 */
export function lookupUser(nameOrId: string, passwdText?: string): UserIds | null {
  const text = passwdText ?? readTextOrNull("/etc/passwd") ?? "";
  const numeric = parseId(nameOrId);
  for (const fields of records(text)) {
    const uid = parseId(fields[2]);
    const gid = parseId(fields[3]);
    if (uid === null || gid === null) continue;
    if (fields[0] === nameOrId || uid === numeric) return { uid, gid };
  }
  return numeric === null ? null : { uid: numeric, gid: numeric };
}

/**
 * Resolves a group name or numeric gid, or returns `null` for an unknown
 * name. A numeric gid is accepted even when `groupText` does not list it.
 *
 * @example
 * ```ts
 * import { lookupGroup } from "./privileges.ts";
 * const group = "root:x:0:\nherd:x:998:\n";
 * lookupGroup("herd", group); // 998
 * lookupGroup("4242", group); // 4242
 * lookupGroup("wheel", group); // null
 * ```
 */
export function lookupGroup(nameOrId: string, groupText?: string): number | null {
  const text = groupText ?? readTextOrNull("/etc/group") ?? "";
  const numeric = parseId(nameOrId);
  for (const fields of records(text)) {
    const gid = parseId(fields[2]);
    if (gid !== null && (fields[0] === nameOrId || gid === numeric)) return gid;
  }
  return numeric;
}

/** The settings {@linkcode rootRefusal} looks at. */
export interface RootCheckSettings {
  env: "development" | "production";
  user: string | null;
  /** `allow_root`: the operator accepts root workers. */
  allow_root?: boolean;
  /** Prefix of the environment variables, for the message (default `HERD`). */
  env_prefix?: string;
}

/**
 * Why Herd refuses to start, or `null` when it may. In production, workers
 * running as root would give any bug in the app the whole machine, so the
 * master must either be started as another user or be told which user the
 * workers become. `uid` is the master's (`Deno.uid()`, which needs
 * `--allow-sys`; `null` where unknown means no refusal).
 *
 * @example
 * ```ts
 * import { rootRefusal } from "./privileges.ts";
 * rootRefusal({ env: "production", user: null }, 0);
 * // 'Refusing to run workers as root in production: set HERD_USER (or --user) to an unprivileged user, start Herd as one, or set HERD_ALLOW_ROOT=1 (--allow-root)'
 * rootRefusal({ env: "production", user: null, allow_root: true }, 0); // null
 * rootRefusal({ env: "production", user: "herd" }, 0); // null
 * rootRefusal({ env: "development", user: null }, 0); // null
 * ```
 */
export function rootRefusal(settings: RootCheckSettings, uid: number | null): string | null {
  if (settings.env !== "production" || uid !== 0 || settings.user !== null) return null;
  if (settings.allow_root) return null;
  const prefix = settings.env_prefix ?? "HERD";
  return `Refusing to run workers as root in production: set ${prefix}_USER (or --user) ` +
    `to an unprivileged user, start Herd as one, or set ${prefix}_ALLOW_ROOT=1 (--allow-root)`;
}

// passwd and group files: colon-separated fields, `#` comments in some distributions.
function records(text: string): string[][] {
  return text.split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.split(":"));
}

function parseId(text: string | undefined): number | null {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : null;
}
