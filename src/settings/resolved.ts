/**
 * The result of resolving the configuration from all five sources: what the
 * master runs with, and what `config` prints.
 *
 * @module
 */
import type { SettingName, Settings } from "./table.ts";
import type { TlsPair } from "../ipc/protocol.ts";
import { describeOrigin, type Origin } from "./problems.ts";
import type { FileDescriptorShortage } from "../platform/file_descriptors.ts";

/** Where a setting's effective value came from, in rising precedence. */
export type Source = "default" | "config.ts" | ".env" | "env" | "cli";

/** A fully resolved configuration. */
export interface Resolved {
  /** Every setting's effective value, hooks included. */
  settings: Settings;
  /** Where each value came from. */
  sources: Record<SettingName, Source>;
  /** Where each value not left at its default was written (see {@linkcode originsOf}). */
  origins: ReadonlyMap<string, Origin>;
  /**
   * A `bind` set aside for a `host` or `port` of a higher source (`--port` over `HERD_BIND`):
   * which of them outranked it, and where the bind was written. `bind`'s own origin is then
   * the winner's, so that `config` can say why `bind` is empty.
   */
  outrankedBind?: { by: "host" | "port"; origin: Origin };
  /** Absolute path of the config.ts in use, or null when there is none. */
  configPath: string | null;
  /** Absolute path of the .env file read, or null. */
  envFilePath: string | null;
  /**
   * The variables of the .env file that the environment does not set (or sets empty). Workers get them in
   * their environment, as Uvicorn's `--env-file` gives them to the app (which, with narrow
   * worker permissions, may read those `worker_permissions` allows).
   */
  dotenv: Readonly<Record<string, string>>;
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
    /** Absolute path of the config.ts imported, or null when none was (to name its strays). */
    configPath: string | null;
    /**
     * Set when config.ts was there but left unimported, this process being short of file
     * descriptors (see `loadConfigFile`): the file, named as `problems` name it, and whose
     * descriptors ran out. Nothing else was read then.
     */
    configNotImported?: { file: string; shortage: FileDescriptorShortage };
  };

/**
 * Names a setting and where `resolved` took its value from, for a one-line
 * error: the flag, the variable (and its `.env` file), the key in config.ts
 * (or in the config given to `serve()`), or the default.
 *
 * @example
 * ```ts
 * import { originsOf } from "./resolved.ts";
 * const origins = new Map([["port", { source: "cli" as const, flag: "--port" }]]);
 * originsOf({ origins })("port"); // '"port" from --port (command line)'
 * originsOf({ origins })("host"); // '"host" by default'
 * ```
 */
export function originsOf(resolved: Pick<Resolved, "origins">): (name: SettingName) => string {
  return (name) => {
    const origin = resolved.origins.get(name);
    return `"${name}" ${origin === undefined ? "by default" : `from ${describeOrigin(origin)}`}`;
  };
}
