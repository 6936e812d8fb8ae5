/**
 * The shape of one entry in the settings table.
 *
 * Each setting is declared exactly once, with {@linkcode defineSetting}, in
 * one of the files under `src/settings/sections/`. Everything else about a
 * setting (its CLI flag, its environment variable, its config.ts key and
 * type, its validation, its default and its line in `docs/settings.md`) is
 * derived from that one declaration.
 *
 * @module
 */

/** The deployment profile; it selects profile-dependent defaults. */
export type Profile = "development" | "production";

/** A default that may differ between the development and production profiles. */
export type ProfileDefault<T> = T | { development: T; production: T };

/**
 * Turns a raw value from one source into a typed value, or throws a
 * {@linkcode CoerceError} saying what is accepted.
 *
 * Strings come from the CLI, the environment and `.env`; config.ts may give
 * any JavaScript value, so parsers accept both. Make one with the helpers of
 * `coerce.ts`, or give a function its type with `parser()`.
 */
export interface Parser<T> {
  /** The value `raw` stands for. */
  (raw: unknown): T;
  /**
   * `T` as TypeScript source (`number`, `"sync" | "async"`, `string[] | null`): the type
   * `scripts/gen_settings_doc.ts` writes into the generated `Settings` interface.
   */
  readonly type: string;
  /**
   * The other forms config.ts may give, as TypeScript source, when the parser takes more
   * than `type` there: `string` for a list written as one comma-separated string, `0 | 1`
   * for a boolean, an alias (`"gevent"`). The generated `SettingsInputForms` lists them, and
   * `ConfigSettings` accepts them.
   */
  readonly input?: string;
}

/** Thrown by a {@linkcode Parser}: `accepted` describes the valid values. */
export class CoerceError extends Error {
  /** What the setting accepts, e.g. `an integer from 1 to 1000`. */
  readonly accepted: string;
  /**
   * @example
   * ```ts
   * throw new CoerceError("an integer from 1 to 1000");
   * ```
   */
  constructor(accepted: string) {
    super(`Expected ${accepted}`);
    this.name = "CoerceError";
    this.accepted = accepted;
  }
}

/** One entry of the settings table. `N` is the snake_case name, `T` the value type. */
export interface Setting<N extends string = string, T = unknown> {
  /** snake_case name: the config.ts key, `--kebab-case` flag, `<PREFIX>_UPPER` variable. */
  readonly name: N;
  /** Heading under which `--help` and `docs/settings.md` list it. */
  readonly section: string;
  /** One-letter CLI alias, without the dash. */
  readonly short?: string;
  /** Placeholder shown in `--help`, e.g. `INT`. Absent for boolean flags. */
  readonly meta?: string;
  /** True for on/off settings: the CLI takes `--name` and `--no-name`. */
  readonly boolean?: boolean;
  /** True when the CLI flag may be repeated (each occurrence appends). */
  readonly repeatable?: boolean;
  /** The same parser serves the CLI, the environment, `.env` and config.ts. */
  readonly parse: Parser<T>;
  /** The default value, possibly per profile. */
  readonly default: ProfileDefault<T>;
  /** One line for `--help` and the docs; Markdown allowed. */
  readonly doc: string;
  /** False for settings that have no CLI flag (e.g. hooks). Default true. */
  readonly cli?: boolean;
  /** False for settings that cannot come from the environment. Default true. */
  readonly env?: boolean;
  /**
   * True when an empty value is the documented way to turn the setting off (`HERD_ACCESS_LOG=`).
   * For any other setting an empty variable counts as unset, as container platforms pass a
   * variable they have no value for.
   */
  readonly emptyTurnsOff?: boolean;
  /** True when this setting is the positional argument of `serve`/`check`. */
  readonly positional?: boolean;
}

/**
 * Declares one setting. The identity function, typed so that the table keeps
 * each entry's literal name and value type.
 *
 * @example
 * ```ts
 * import { defineSetting } from "./setting.ts";
 * import { int } from "./coerce.ts";
 * export const port = defineSetting({
 *   name: "port",
 *   section: "Server",
 *   short: "p",
 *   meta: "INT",
 *   parse: int({ min: 0, max: 65535 }),
 *   default: 8080,
 *   doc: "TCP port to listen on.",
 * });
 * ```
 */
export function defineSetting<const N extends string, T>(
  setting: Omit<Setting<N, T>, "default"> & { readonly default: NoInfer<ProfileDefault<T>> },
): Setting<N, T> {
  return Object.freeze(setting);
}

/** The default of `setting` under `profile`. */
export function defaultFor<T>(setting: Setting<string, T>, profile: Profile): T {
  const d = setting.default as ProfileDefault<T>;
  if (
    d !== null && typeof d === "object" && !Array.isArray(d) &&
    "development" in d && "production" in d
  ) {
    return d[profile];
  }
  return d as T;
}

/** `worker_class` → `--worker-class`. */
export function flagName(name: string): string {
  return name.replaceAll("_", "-");
}

/** `worker_class`, `HERD` → `HERD_WORKER_CLASS`. */
export function envName(name: string, prefix: string): string {
  return `${prefix}_${name.toUpperCase()}`;
}
