/**
 * The type of what config.ts exports, derived from the settings table, and
 * {@linkcode defineConfig}, which gives it completion and type errors.
 *
 * @module
 */
import type { Profile } from "./setting.ts";
import type { Settings } from "./settings_interface.ts";

/** Settings that config.ts may give, each optional. */
export type ConfigSettings =
  & Partial<Omit<Settings, "config" | "env_prefix" | "unix_socket_mode">>
  & {
    /** A file mode as text (`"0660"`) or in JavaScript's own form (`0o660`). */
    unix_socket_mode?: string | number;
  };

/** What config.ts default-exports. */
export interface UserConfig extends ConfigSettings {
  /** Prefix of the environment variables Herd reads (default `HERD`). */
  envPrefix?: string;
  /** Values that apply only under one profile; they override the top-level ones. */
  profiles?: Partial<Record<Profile, ConfigSettings>>;
}

/**
 * Declares a configuration; the identity function, typed.
 *
 * @example
 * ```ts
 * import { defineConfig } from "./user_config.ts";
 * export default defineConfig({
 *   workers: 4,
 *   max_requests: 1000,
 *   profiles: { production: { access_log: "logs/access.log" } },
 * });
 * ```
 */
export function defineConfig(config: UserConfig): UserConfig {
  return config;
}
