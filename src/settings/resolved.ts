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
