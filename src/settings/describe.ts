/**
 * Human descriptions of a setting derived from its table entry: its
 * default (per profile where they differ) and the values it accepts, as
 * its own parser words them. Shared by `--help` and `docs/settings.md`, so
 * the two never disagree.
 *
 * @example
 * ```ts
 * import { acceptedValues, describeDefault } from "./describe.ts";
 * import { settingByName } from "./table.ts";
 * const workers = settingByName("workers")!;
 * acceptedValues(workers); // "an integer from 1 to 1024, or auto"
 * describeDefault(workers); // "auto"
 * ```
 *
 * @module
 */
import { CoerceError, type ProfileDefault, type Setting } from "./setting.ts";

/**
 * The setting's default: `auto`, or `development: -, production: logs/error.log`
 * when the profiles differ.
 *
 * @example
 * ```ts
 * import { describeDefault } from "./describe.ts";
 * import { settingByName } from "./table.ts";
 * describeDefault(settingByName("host")!); // "development: 127.0.0.1, production: 0.0.0.0"
 * ```
 */
export function describeDefault(setting: Setting<string, unknown>): string {
  const d = setting.default as ProfileDefault<unknown>;
  if (d !== null && typeof d === "object" && "development" in d && "production" in d) {
    return `development: ${describeValue(d.development)}, production: ${
      describeValue(d.production)
    }`;
  }
  return describeValue(d);
}

/**
 * A value as shown in help and docs: `unset` for null, `none` for an empty
 * list, lists comma-separated.
 *
 * @example
 * ```ts
 * import { describeValue } from "./describe.ts";
 * describeValue(["127.0.0.1", "::1"]); // "127.0.0.1, ::1"
 * describeValue(null); // "unset"
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "unset";
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.join(", ");
  return String(value);
}

/**
 * What the setting's parser accepts, in its own words. Found by showing the
 * parser a value no parser takes; for lists, also an item no parser takes.
 *
 * @example
 * ```ts
 * import { acceptedValues } from "./describe.ts";
 * import { settingByName } from "./table.ts";
 * acceptedValues(settingByName("bind")!);
 * // "a list of HOST:PORT, [IPV6]:PORT or unix:PATH"
 * ```
 */
export function acceptedValues(setting: Setting<string, unknown>): string {
  const impossible = Symbol("impossible");
  const whole = rejection(setting, impossible);
  if (whole === undefined || !whole.startsWith("a list")) return whole ?? "any value";
  const item = rejection(setting, [impossible]);
  return item === undefined ? whole : `a list of ${item}`;
}

function rejection(setting: Setting<string, unknown>, raw: unknown): string | undefined {
  try {
    setting.parse(raw);
    return undefined;
  } catch (error) {
    return error instanceof CoerceError ? error.accepted : undefined;
  }
}
