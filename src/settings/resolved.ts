/**
 * The result of resolving the configuration from all five sources: what the
 * master runs with, and what `config` prints.
 *
 * @module
 */
import type { SettingName, Settings } from "./table.ts";
import type { TlsPair } from "../ipc/protocol.ts";

/** Where a setting's effective value came from, in rising precedence. */
export type Source = "default" | "config.ts" | ".env" | "env" | "cli";

/** A fully resolved configuration. */
export interface Resolved {
  /** Every setting's effective value, hooks included. */
  settings: Settings;
  /** Where each value came from. */
  sources: Record<SettingName, Source>;
  /** Absolute path of the config.ts in use, or null when there is none. */
  configPath: string | null;
  /** Absolute path of the .env file read, or null. */
  envFilePath: string | null;
  /** One-line warnings to print at startup (unknown variables, risky values). */
  warnings: string[];
  /**
   * The TLS pair as the master read and checked it for this configuration, what its
   * workers serve; null for plain HTTP. Absent until the master has checked it.
   */
  tls?: TlsPair | null;
}

/** Either a configuration, or every problem found (one line each). */
export type Resolution =
  | { ok: true; resolved: Resolved }
  | {
    ok: false;
    problems: string[];
    /** Stack traces behind the problems; present only when `log_level` is debug. */
    traces?: string[];
  };

/**
 * Where a setting's value was given, as its user would look for it: the flag, the variable
 * (in `.env` or not), the key in `config` (a config.ts, or the config given to `serve()`), or
 * its default. With no source known: every place it can be set.
 *
 * @example
 * ```ts
 * import { settingOrigin } from "./resolved.ts";
 * settingOrigin("access_log", "cli", "HERD"); // "--access-log"
 * settingOrigin("access_log", ".env", "BIOREMPP"); // "BIOREMPP_ACCESS_LOG in .env"
 * settingOrigin("user", undefined, "HERD"); // '"user": HERD_USER, --user or config.ts'
 * ```
 */
export function settingOrigin(
  name: string,
  source: Source | undefined,
  prefix: string,
  config = "config.ts",
): string {
  const variable = `${prefix}_${name.toUpperCase()}`;
  const flag = `--${name.replaceAll("_", "-")}`;
  switch (source) {
    case "cli":
      return flag;
    case "env":
      return variable;
    case ".env":
      return `${variable} in .env`;
    case "config.ts":
      return `"${name}" in ${config}`;
    case "default":
      return `the default of "${name}"`;
    default:
      return `"${name}": ${variable}, ${flag} or ${config}`;
  }
}

/**
 * {@linkcode settingOrigin} for the settings of `resolved`.
 *
 * @example
 * ```ts
 * import { originsOf, type Resolved } from "./resolved.ts";
 * declare const resolved: Resolved;
 * originsOf(resolved)("port"); // "--port", when the port came from the command line
 * ```
 */
export function originsOf(
  resolved: Pick<Resolved, "sources" | "configPath"> & { settings: { env_prefix: string } },
): (name: SettingName) => string {
  // A program around serve() has no config.ts: its config object holds those values.
  const config = resolved.configPath === null ? "the config given to serve()" : "config.ts";
  return (name) =>
    settingOrigin(name, resolved.sources[name], resolved.settings.env_prefix, config);
}
