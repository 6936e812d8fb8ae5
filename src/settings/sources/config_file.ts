/**
 * The config.ts source: imports the module (fresh on every call, so a
 * reload sees edits) and splits its default export into top-level values,
 * per-profile values and `envPrefix`, reporting every key it does not know.
 *
 * Values are not validated here: the setting's own parser does that in
 * `resolve.ts`, the same way for every source.
 *
 * @example
 * ```ts
 * import { readConfigObject } from "./config_file.ts";
 * const read = readConfigObject({ workers: 4, wokers: 2 }, "config.ts");
 * read.top.get("workers")?.raw; // 4
 * read.problems; // ['Unknown key "wokers" in "config.ts": did you mean workers?']
 * ```
 *
 * @module
 */
import { refuseExit } from "../../platform/guard_user_code.ts";
import { fileUrl } from "../../platform/file_url.ts";
import { SETTINGS } from "../table.ts";
import type { Profile } from "../setting.ts";
import { describeOrigin, type Origin, type RawValue } from "../problems.ts";
import { firstLine, importFailure, withoutLoadQuery } from "../../error_text.ts";
import { TIMED_OUT, within } from "../../platform/timer.ts";
import { suggestionSuffix } from "../../cli/did_you_mean.ts";
import { notRegularFile } from "./regular_file.ts";
import {
  type FileDescriptorShortage,
  fileDescriptorShortage,
  whoLacksDescriptors,
} from "../../platform/file_descriptors.ts";

/** What config.ts declares, split by where it applies. */
export interface ConfigObject {
  /** Top-level values, by setting name. */
  top: Map<string, RawValue>;
  /** Values under `profiles.development` / `profiles.production`. */
  profiles: Record<Profile, Map<string, RawValue>>;
  /** The `envPrefix` key, when present. */
  envPrefix: RawValue | undefined;
  /** One line per malformed part. */
  problems: string[];
}

/** The outcome of looking for, importing and reading config.ts. */
export interface ConfigFileRead extends ConfigObject {
  /** The absolute path imported, or null when the optional default is absent. */
  path: string | null;
  /** Stack traces behind the problems, shown only at `log_level` debug. */
  traces: string[];
  /**
   * Set when the file is there but was not imported: this process could not open
   * {@linkcode CONFIG_IMPORT_SPARE_FILES} files, for want of its own descriptors or the
   * system's. Importing it then could crash the process; trying again later may succeed.
   */
  notImported?: FileDescriptorShortage;
}

const PROFILES: readonly Profile[] = ["development", "production"];
/** Chosen before config.ts is read, so config.ts itself cannot set them. */
const NOT_IN_CONFIG: Record<string, string> = {
  config: "the config file is chosen with --config or the environment",
  env_prefix: "use envPrefix",
};
/** Needed to pick the profile and the .env file, so they cannot vary by profile. */
const NOT_IN_PROFILE = new Set(["env", "env_file"]);
const SETTING_NAMES = new Set<string>(SETTINGS.map((s) => s.name));
const TOP_KEYS = [
  ...SETTINGS.map((s) => s.name).filter((n) => !(n in NOT_IN_CONFIG)),
  "envPrefix",
  "profiles",
];

let importCount = 0;

/** How long config.ts may take to load (its top-level code, awaits included). */
const CONFIG_LOAD_LIMIT_MS = 10_000;

/**
 * File descriptors this process must be able to open before it imports config.ts: Deno panics
 * importing a module with none left. Measured on Deno 2.9.6, a master sent HUP with its limit
 * set to leave a given number free: with none it panicked (in `stacker`); with one it imported
 * config.ts, also one importing seven modules not loaded before, or `npm:yaml` (the loader opens
 * one file at a time). The other seven are a margin, not a guarantee, for what may take
 * descriptors while the import is under way, over several turns of the event loop: the control
 * socket's and the metrics endpoint's accepts, under the flood of connections that used them up.
 */
export const CONFIG_IMPORT_SPARE_FILES = 8;

/**
 * Why config.ts at `file` is not imported now, and what raises the limit
 * that ran out: `name` (the process, "Herd" or "the master") has fewer than
 * {@linkcode CONFIG_IMPORT_SPARE_FILES} descriptors free, or the system is
 * out of them.
 *
 * @example
 * ```ts
 * import { importHeldBack } from "./config_file.ts";
 * importHeldBack("config.ts", { scope: "process", reason: "Too many open files" }, "Herd");
 * // 'Herd has fewer than 8 file descriptors free (Too many open files): importing "config.ts"
 * // could crash it (Deno panics importing a module with no descriptor left; raise the
 * // open-files limit: LimitNOFILE, ulimit -n)'
 * ```
 */
export function importHeldBack(
  file: string,
  shortage: FileDescriptorShortage,
  name: string,
): string {
  const system = shortage.scope === "system";
  const raise = system
    ? "the system's limit: sysctl fs.file-max"
    : "the open-files limit: LimitNOFILE, ulimit -n";
  return `${whoLacksDescriptors(shortage, name, CONFIG_IMPORT_SPARE_FILES)} ` +
    `(${shortage.reason}): importing "${file}" could crash ${system ? name : "it"} ` +
    `(Deno panics importing a module with no descriptor left; raise ${raise})`;
}

/**
 * Imports the config module at `path` (absolute). A missing file is a
 * problem only when the path was given explicitly (`explicit` names where).
 *
 * @example
 * ```ts
 * import { loadConfigFile } from "./config_file.ts";
 * const read = await loadConfigFile("/srv/app/config.ts", { display: "config.ts" });
 * if (read.problems.length > 0) console.error(read.problems.join("\n"));
 * ```
 */
export async function loadConfigFile(
  path: string,
  options: { display: string; explicit?: Origin; limitMs?: number },
): Promise<ConfigFileRead> {
  const { display, explicit, limitMs = CONFIG_LOAD_LIMIT_MS } = options;
  const none = { path: null, ...emptyConfig(), traces: [] };
  try {
    const notRegular = notRegularFile(await Deno.stat(path));
    if (notRegular !== null) {
      return { ...none, problems: [`Cannot read config file "${display}": ${notRegular}`] };
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      return { ...none, problems: [`Cannot read config file "${display}": ${firstLine(error)}`] };
    }
    if (explicit === undefined) return none;
    return {
      ...none,
      problems: [`Cannot find config file "${display}" from ${describeOrigin(explicit)}`],
    };
  }
  // Asked here, with nothing awaited before the import starts: a missing config.ts (flags,
  // the environment and .env alone) imports nothing, and is never held back.
  const short = fileDescriptorShortage(CONFIG_IMPORT_SPARE_FILES);
  if (short !== null) {
    return {
      ...none,
      problems: [importHeldBack(display, short, "Herd")],
      notImported: short,
    };
  }
  let module: Record<string, unknown> | typeof TIMED_OUT;
  try {
    // A new query string makes a new module: a reload must see edits. Bounded: a top-level
    // await that never settles would end the process with Deno's error naming Herd's main.ts.
    // It runs in the master: a Deno.exit() of its would end Herd, at a reload too.
    const url = `${fileUrl(path)}?load=${Date.now()}.${++importCount}`;
    module = await refuseExit("it", () => within(import(url), limitMs));
  } catch (error) {
    return {
      ...none,
      problems: [`Cannot load config file "${display}": ${withoutLoadQuery(importFailure(error))}`],
      traces: error instanceof Error && error.stack ? [withoutLoadQuery(error.stack)] : [],
    };
  }
  if (module === TIMED_OUT) {
    const limit = `${limitMs / 1000} s`;
    return {
      ...none,
      problems: [
        `Cannot load config file "${display}": not loaded within ${limit} (a top-level await that never settles?)`,
      ],
    };
  }
  return { path, ...readConfigObject(module.default, display), traces: [] };
}

/**
 * Splits a config module's default export. `file` names it in problems.
 *
 * @example
 * ```ts
 * import { readConfigObject } from "./config_file.ts";
 * readConfigObject("nope", "config.ts").problems;
 * // ['Invalid default export of "config.ts": must be an object (use defineConfig)']
 * ```
 */
export function readConfigObject(exported: unknown, file: string): ConfigObject {
  try {
    return readPlainConfig(exported, file);
  } catch (error) {
    // A getter or a Proxy in the export that throws when read.
    const read = emptyConfig();
    read.problems.push(`Cannot read the default export of "${file}": ${firstLine(error)}`);
    return read;
  }
}

function readPlainConfig(exported: unknown, file: string): ConfigObject {
  const read = emptyConfig();
  if (!isPlainObject(exported)) {
    read.problems.push(`Invalid default export of "${file}": must be an object (use defineConfig)`);
    return read;
  }
  for (const [key, raw] of Object.entries(exported)) {
    if (raw === undefined) continue;
    if (key === "envPrefix") {
      read.envPrefix = { raw, origin: { source: "config.ts", key, file } };
    } else if (key === "profiles") {
      readProfiles(raw, file, read);
    } else if (key in NOT_IN_CONFIG) {
      read.problems.push(`Unexpected key "${key}" in "${file}": ${NOT_IN_CONFIG[key]}`);
    } else if (SETTING_NAMES.has(key)) {
      read.top.set(key, { raw, origin: { source: "config.ts", key, file } });
    } else {
      read.problems.push(`Unknown key "${key}" in "${file}"${suggestionSuffix(key, TOP_KEYS)}`);
    }
  }
  return read;
}

function readProfiles(raw: unknown, file: string, read: ConfigObject): void {
  if (!isPlainObject(raw)) {
    read.problems.push(
      `Invalid value for "profiles" in "${file}": expected an object with development and/or production`,
    );
    return;
  }
  for (const [profile, values] of Object.entries(raw)) {
    if (values === undefined) continue;
    if (!PROFILES.includes(profile as Profile)) {
      read.problems.push(
        `Unknown profile "${profile}" in "${file}"${
          suggestionSuffix(profile, PROFILES) || ": expected development or production"
        }`,
      );
      continue;
    }
    const where = `profiles.${profile}`;
    if (!isPlainObject(values)) {
      read.problems.push(`Invalid value for "${where}" in "${file}": expected an object`);
      continue;
    }
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue;
      const qualified = `${where}.${key}`;
      if (NOT_IN_PROFILE.has(key) || key in NOT_IN_CONFIG || key === "envPrefix") {
        read.problems.push(`Unexpected key "${qualified}" in "${file}": it cannot vary by profile`);
      } else if (SETTING_NAMES.has(key)) {
        read.profiles[profile as Profile].set(key, {
          raw: value,
          origin: { source: "config.ts", key: qualified, file },
        });
      } else {
        read.problems.push(
          `Unknown key "${qualified}" in "${file}"${suggestionSuffix(key, SETTING_NAMES)}`,
        );
      }
    }
  }
}

function emptyConfig(): ConfigObject {
  return {
    top: new Map(),
    profiles: { development: new Map(), production: new Map() },
    envPrefix: undefined,
    problems: [],
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
