/**
 * THE settings table: every setting Herd has, in documentation order, and
 * the {@linkcode Settings} type derived from it.
 *
 * `Settings` is the interface `scripts/gen_settings_doc.ts` generates from the
 * table, documented property by property for editors; the type derived here
 * is what the compiler holds it to (`deno check` fails when they differ).
 *
 * @example
 * ```ts
 * import { SETTINGS, settingByName } from "./table.ts";
 * console.log(SETTINGS.length, settingByName("workers")?.short); // … "w"
 * ```
 *
 * @module
 */
import { defaultFor, type Profile, type Setting } from "./setting.ts";
import { serverSettings } from "./sections/server.ts";
import { workerSettings } from "./sections/workers.ts";
import { recyclingSettings } from "./sections/recycling.ts";
import { loggingSettings } from "./sections/logging.ts";
import { limitSettings } from "./sections/limits.ts";
import { hookSettings } from "./sections/hooks.ts";
import { tlsSettings } from "./sections/tls.ts";
import { developmentSettings } from "./sections/development.ts";
import type { HookName } from "../hooks.ts";
import type { Settings } from "./settings_interface.ts";

export type { Settings };

/** Every setting, in documentation order. */
export const SETTINGS = Object.freeze(
  [
    ...serverSettings,
    ...tlsSettings,
    ...workerSettings,
    ...recyclingSettings,
    ...loggingSettings,
    ...limitSettings,
    ...developmentSettings,
    ...hookSettings,
  ] as const,
);

type Entry = (typeof SETTINGS)[number];

/** The name of a setting. */
export type SettingName = Entry["name"];

/** The effective configuration as the table types it: one value per setting. */
type TableSettings = {
  -readonly [E in Entry as E["name"]]: E extends Setting<string, infer T> ? T : never;
};

// True only when A and B are the same type: each property's type and modifiers, in both directions.
type Same<A, B> = (<X>() => X extends A ? 1 : 2) extends (<X>() => X extends B ? 1 : 2) ? true
  : false;
// Fails `deno check` when the generated interface differs from the table: run `deno task docs`.
type _SettingsInterfaceIsCurrent = Assert<Same<Settings, TableSettings>>;
type Assert<T extends true> = T;

/** Settings that are plain data (everything but hooks): what `config --json` prints and workers receive. */
export type DataSettings = Omit<Settings, HookName>;

const BY_NAME: ReadonlyMap<string, Entry> = new Map(SETTINGS.map((s) => [s.name, s]));

/**
 * The table entry named `name`, or undefined.
 *
 * @example
 * ```ts
 * import { settingByName } from "./table.ts";
 * settingByName("timeout")?.doc;
 * ```
 */
export function settingByName(name: string): Entry | undefined {
  return BY_NAME.get(name);
}

/**
 * Every setting at its default for `profile`: what Herd runs with when
 * nothing is configured.
 *
 * @example
 * ```ts
 * import { defaultSettings } from "./table.ts";
 * defaultSettings("development").timeout; // 30
 * ```
 */
export function defaultSettings(profile: Profile): Settings {
  const entries = SETTINGS.map((s) => [s.name, defaultFor(s as Setting<string, unknown>, profile)]);
  return Object.fromEntries(entries) as unknown as Settings;
}
