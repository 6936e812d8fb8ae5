/**
 * THE settings table: every setting Herd has, in documentation order, and
 * the {@linkcode Settings} type derived from it.
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

/** The effective configuration: one typed value per setting. */
export type Settings = {
  -readonly [E in Entry as E["name"]]: E extends Setting<string, infer T> ? T : never;
};

/** Settings that are plain data (everything but hooks): what `config --json` prints and workers receive. */
export type DataSettings = Omit<Settings, import("../hooks.ts").HookName>;

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
