/**
 * The environment source: `<PREFIX>_<NAME>` variables for every setting
 * that may come from the environment, plus the platform conventions
 * `PORT`, `HOST` and `WEB_CONCURRENCY`. The same reader serves the process
 * environment and the variables a `.env` file adds.
 *
 * @example
 * ```ts
 * import { readEnvironment } from "./environment.ts";
 * const { values, warnings } = readEnvironment(
 *   { HERD_WORKERS: "4", HERD_WORKRS: "2", PATH: "/bin" },
 *   { prefix: "HERD" },
 * );
 * values.get("workers")?.raw; // "4"
 * warnings; // ['Unknown variable "HERD_WORKRS" (environment): did you mean HERD_WORKERS?']
 * ```
 *
 * @module
 */
import { settingByName, SETTINGS } from "../table.ts";
import { envName } from "../setting.ts";
import type { Origin, RawValue } from "../problems.ts";
import { suggestionSuffix } from "../../cli/did_you_mean.ts";

/** Which variables to read, and how to name their origin. */
export interface EnvironmentOptions {
  /** The variable prefix, without the trailing underscore (`HERD`). */
  prefix: string;
  /** Set when the variables came from a `.env` file (its display name). */
  dotenvFile?: string;
}

/** Raw values by setting name, and warnings about variables that were ignored. */
export interface EnvironmentResult {
  values: Map<string, RawValue>;
  warnings: string[];
  /**
   * The warning about each variable with the prefix that names no setting: the access log
   * may still read it (`%({NAME}e)s`), and then it is not unknown.
   */
  unknown: Map<string, string>;
}

/**
 * Container platforms announce the port and the advised concurrency in
 * these variables; they apply only when nothing else configures the
 * setting, so they sit just above the defaults.
 */
const PLATFORM_VARIABLES = { PORT: "port", HOST: "host", WEB_CONCURRENCY: "workers" } as const;

/**
 * Reads the `<prefix>_*` variables of `env`. A variable with the prefix but
 * no matching setting yields a warning with the closest name.
 *
 * @example
 * ```ts
 * import { readEnvironment } from "./environment.ts";
 * readEnvironment({ APP_PORT: "9000" }, { prefix: "APP" }).values.get("port")?.raw; // "9000"
 * ```
 */
export function readEnvironment(
  env: Readonly<Record<string, string>>,
  options: EnvironmentOptions,
): EnvironmentResult {
  const { prefix } = options;
  const readable = new Map(
    SETTINGS.filter((s) => s.env !== false).map((s) => [envName(s.name, prefix), s.name]),
  );
  const values = new Map<string, RawValue>();
  const warnings: string[] = [];
  const unknown = new Map<string, string>();
  for (const [variable, raw] of Object.entries(env)) {
    if (!variable.startsWith(`${prefix}_`)) continue;
    const origin = originOf(variable, options);
    const name = readable.get(variable);
    if (name !== undefined) {
      if (!isBlank(raw)) values.set(name, { raw, origin });
      else if (settingByName(name)!.emptyTurnsOff) values.set(name, { raw: "", origin });
      else warnings.push(emptyWarning(variable, origin, name));
      continue;
    }
    const setting = SETTINGS.find((s) => envName(s.name, prefix) === variable);
    if (setting === undefined) {
      const warning = `Unknown variable "${variable}" ${where(origin)}${
        suggestionSuffix(variable, readable.keys())
      }`;
      warnings.push(warning);
      unknown.set(variable, warning);
    } else {
      warnings.push(
        `Ignored variable "${variable}" ${
          where(origin)
        }: "${setting.name}" cannot be set from the environment`,
      );
    }
  }
  return { values, warnings, unknown };
}

/**
 * Reads `PORT`, `HOST` and `WEB_CONCURRENCY` as raw values of `port`,
 * `host` and `workers`.
 *
 * @example
 * ```ts
 * import { readPlatformVariables } from "./environment.ts";
 * readPlatformVariables({ PORT: "3000" }, {}).get("port")?.raw; // "3000"
 * ```
 */
export function readPlatformVariables(
  env: Readonly<Record<string, string>>,
  options: { dotenvFile?: string; warnings?: string[] },
): Map<string, RawValue> {
  const values = new Map<string, RawValue>();
  for (const [variable, name] of Object.entries(PLATFORM_VARIABLES)) {
    const raw = env[variable];
    if (raw === undefined) continue;
    const origin = originOf(variable, options);
    if (!isBlank(raw)) values.set(name, { raw, origin });
    else options.warnings?.push(emptyWarning(variable, origin, name));
  }
  return values;
}

// A container platform or compose file passes a variable it has no value for as empty
// (`HERD_WORKERS=`): unset, unless an empty value is how the setting is turned off.
function isBlank(raw: string): boolean {
  return raw.trim() === "";
}

function emptyWarning(variable: string, origin: Origin, name: string): string {
  return `Ignored "${variable}" ${where(origin)}: empty, so it does not set "${name}"`;
}

function originOf(variable: string, options: { dotenvFile?: string }): Origin {
  return options.dotenvFile === undefined
    ? { source: "env", variable }
    : { source: ".env", variable, file: options.dotenvFile };
}

function where(origin: Origin): string {
  return origin.source === ".env" ? `in "${origin.file}"` : "(environment)";
}
