/**
 * The type of what config.ts exports, derived from the settings table, and
 * {@linkcode defineConfig}, which gives it completion and type errors.
 *
 * @module
 */
import type { Profile } from "./setting.ts";
import type { Settings, SettingsInputForms } from "./settings_interface.ts";

/**
 * Settings that config.ts may give, each optional, in its type or one of its other forms
 * (`bind: "0.0.0.0:8000"`, `preload: 1`, `worker_class: "gevent"`). Not `config` and
 * `env_prefix`, which decide which config.ts is read and how. Mapped over
 * {@linkcode Settings}, so an editor shows each key's documentation.
 */
export type ConfigSettings = {
  [K in keyof Settings as Exclude<K, "config" | "env_prefix">]?:
    | Settings[K]
    | (K extends keyof SettingsInputForms ? SettingsInputForms[K] : never);
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
