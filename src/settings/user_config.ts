/**
 * The type of what config.ts exports, derived from the settings table, and
 * {@linkcode defineConfig}, which gives it completion and type errors.
 *
 * @module
 */
import type { Profile } from "./setting.ts";
import type { Settings } from "./table.ts";

/** Settings config.ts may also give in JavaScript's own form: a file mode as `0o660`. */
interface NumericForms {
  unix_socket_mode: string | number;
}

/** Settings that config.ts may give, each optional. */
export type ConfigSettings = Partial<
  Omit<Settings, "config" | "env_prefix" | keyof NumericForms> & NumericForms
>;

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
