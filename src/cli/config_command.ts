/**
 * `herd config [--json]`: the effective configuration and where each value
 * came from. The JSON form is a contract for scripts: one key per setting
 * (snake_case), each `{ "value": …, "source": … }`; hooks show as
 * `"function"` or `null`.
 *
 * @example
 * ```ts
 * import { configJson } from "./config_command.ts";
 * import type { Resolved } from "../settings/resolved.ts";
 * declare const resolved: Resolved;
 * JSON.parse(configJson(resolved)).workers; // { value: "auto", source: "default" }
 * ```
 *
 * @module
 */
import { effectiveCpuCount } from "../platform/cpus.ts";
import { workerCount } from "../master/worker_count.ts";
import { SETTINGS } from "../settings/table.ts";
import type { Resolved, Source } from "../settings/resolved.ts";
import type { Origin } from "../settings/problems.ts";

/** One row of the effective configuration. */
export interface ConfigEntry {
  /** JSON-safe: functions become `"function"`. */
  value: unknown;
  /** Where it came from; `serve()` for the app and config object a program gave to `serve()`. */
  source: Source | "serve()";
}

/**
 * Each setting's JSON-safe value and its source. Under `serve(app, config)`
 * (`embedded`), the config object takes config.ts's place and is named as
 * such, as are the app and config given to it.
 *
 * @example
 * ```ts
 * import { configEntries } from "./config_command.ts";
 * import type { Resolved } from "../settings/resolved.ts";
 * declare const resolved: Resolved;
 * configEntries(resolved).port.source; // "default"
 * ```
 */
export function configEntries(
  resolved: Resolved,
  options: { embedded?: boolean } = {},
): Record<string, ConfigEntry> {
  const settings: Readonly<Record<string, unknown>> = { ...resolved.settings };
  const sources = resolved.sources as Record<string, Source>;
  const given: Record<string, string> = options.embedded
    ? { app: "app given to serve()", config: "config given to serve()" }
    : {};
  return Object.fromEntries(SETTINGS.map((s) => {
    const value = settings[s.name];
    const source = sources[s.name];
    if (s.name in given && source === "default") {
      return [s.name, { value: given[s.name], source: "serve()" }];
    }
    return [s.name, {
      value: typeof value === "function" ? "function" : value ?? null,
      source: options.embedded && source === "config.ts" ? "serve()" : source,
    }];
  }));
}

/**
 * `config --json`: one object, pretty-printed.
 *
 * @example
 * ```ts
 * import { configJson } from "./config_command.ts";
 * import type { Resolved } from "../settings/resolved.ts";
 * declare const resolved: Resolved;
 * console.log(configJson(resolved));
 * ```
 */
export function configJson(resolved: Resolved, options: { embedded?: boolean } = {}): string {
  return JSON.stringify(configEntries(resolved, options), null, 2);
}

/**
 * `config`: an aligned table of setting, value and source, under a line
 * naming the config.ts and .env files read. A source in the environment or
 * `.env` names its variable (`env PORT`, `env HERD_PORT`); a `bind` set aside
 * for a `host` or `port` of a higher source names what outranked it.
 *
 * @example
 * ```ts
 * import { configTable } from "./config_command.ts";
 * import type { Resolved } from "../settings/resolved.ts";
 * declare const resolved: Resolved;
 * console.log(configTable(resolved));
 * ```
 */
export function configTable(resolved: Resolved, options: { embedded?: boolean } = {}): string {
  const s = resolved.settings;
  const outranked = resolved.outrankedBind;
  const sourceCell = (name: string, source: ConfigEntry["source"]) => {
    const cell = sourcePlace(source, resolved.origins.get(name));
    if (name !== "bind" || outranked === undefined) return cell;
    // Its value is the default's, but not by default: say what set it aside, as the warning does.
    const bindSource = options.embedded && outranked.origin.source === "config.ts"
      ? "serve()"
      : outranked.origin.source;
    return `${cell}: "${outranked.by}" outranks ${sourcePlace(bindSource, outranked.origin)}`;
  };
  const rows = Object.entries(configEntries(resolved, options)).map(([name, { value, source }]) => [
    name,
    // What `auto` comes to on this machine (its CPUs, a cgroup's quota), as serve would start.
    name === "workers" && value === "auto"
      ? `auto (${workerCount(s.workers, effectiveCpuCount, s.worker_class)} here)`
      : typeof value === "string"
      ? value
      : JSON.stringify(value),
    sourceCell(name, source),
  ]);
  const header = ["SETTING", "VALUE", "SOURCE"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]) : c)).join("  ");
  return [
    // With serve(app, config) the config object takes config.ts's place (and its source name).
    `config.ts: ${resolved.configPath ?? (options.embedded ? "config given to serve()" : "none")}`,
    `.env: ${resolved.envFilePath ?? "none"}`,
    "",
    line(header),
    ...rows.map(line),
  ].join("\n");
}

// PORT or HERD_PORT, WEB_CONCURRENCY or HERD_WORKERS: two variables can set one setting, so the
// variable read is named, as error messages name it.
function sourcePlace(source: ConfigEntry["source"], origin: Origin | undefined): string {
  if (origin === undefined || (origin.source !== "env" && origin.source !== ".env")) return source;
  return `${source} ${origin.variable}`;
}
