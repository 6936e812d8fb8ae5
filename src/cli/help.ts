/**
 * `--help`, rendered from the settings table: usage, the commands, then
 * every setting that has a command-line form, grouped by section, with its
 * flag, short form, placeholder, environment variable, default and doc.
 * Nothing here is written per setting, so help cannot drift from the table.
 *
 * @example
 * ```ts
 * import { renderHelp } from "./help.ts";
 * console.log(renderHelp({ commands: [{ name: "serve", usage: "serve [APP]", summary: "Serve" }] }));
 * ```
 *
 * @module
 */
import { SETTINGS } from "../settings/table.ts";
import { envName, flagName, type Setting } from "../settings/setting.ts";
import { describeDefault } from "../settings/describe.ts";
import { VERSION } from "../version.ts";

/** One line of the "Commands" list. */
export interface CommandSummary {
  /** The command word. */
  name: string;
  /** The command word and its arguments, e.g. `config [--json]`. */
  usage: string;
  /** What it does, one sentence. */
  summary: string;
}

/** What the help text depends on besides the table. */
export interface HelpOptions {
  /** The commands, in the order listed. */
  commands: readonly CommandSummary[];
  /** The environment variable prefix to show. @default {"HERD"} */
  prefix?: string;
  /** Wrap docs at this column. @default {88} */
  width?: number;
  /**
   * True for a program that embeds its app and configuration (`serve(app, config)`):
   * the config given to `serve()` takes config.ts's place.
   * @default {false}
   */
  embedded?: boolean;
}

/**
 * The full help text.
 *
 * @example
 * ```ts
 * import { renderHelp } from "./help.ts";
 * renderHelp({ commands: [], prefix: "MYAPP" }).includes("MYAPP_WORKERS"); // true
 * ```
 */
export function renderHelp(options: HelpOptions): string {
  const { commands, prefix = "HERD", width = 88, embedded = false } = options;
  const configName = embedded ? "the config given to serve()" : "config.ts";
  const nameWidth = Math.max(...commands.map((c) => c.name.length), 0) + 2;
  const lines = [
    `herd ${VERSION}: a pre-fork HTTP server for Deno`,
    "",
    "Usage:",
    // A program around serve() serves its own app with its own config: no APP, no -c.
    ...commands.map((c) => `  herd ${embedded ? c.usage.replace(" [APP]", "") : c.usage}`),
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(nameWidth)}${c.summary}`),
    "",
    ...wrap(
      `Each setting below may also be set in ${configName} (by its snake_case name) or in ` +
        `the environment / .env (by its variable). Precedence, rising: default < ` +
        `${configName} < its profiles < .env < environment < command line.` +
        (embedded
          ? " The defaults shown are Herd's; this program's config may change them; its config command " +
            "prints the values in effect."
          : ""),
      width,
    ),
  ];
  for (const [section, settings] of sections()) {
    const shown = embedded ? settings.filter((s) => !EMBEDDED_FIXED.has(s.name)) : settings;
    if (shown.length === 0) continue;
    lines.push("", `${section}:`);
    for (const setting of shown) lines.push(...describeSetting(setting, { prefix, width }));
  }
  lines.push(
    "",
    "Other flags:",
    "  -h, --help       Show this help",
    "  -V, --version    Show the version of Herd and Deno",
    "      --json       With config and status: print JSON",
  );
  return lines.join("\n");
}

// What a program around serve(app, config) refuses to be given (see `resolve.ts`).
const EMBEDDED_FIXED = new Set(["app", "config"]);

/**
 * How a setting is written on the command line: `-w, --workers INT|auto`,
 * `--[no-]preload`, or `APP` for the positional.
 *
 * @example
 * ```ts
 * import { flagSpelling } from "./help.ts";
 * import { settingByName } from "../settings/table.ts";
 * flagSpelling(settingByName("workers")!); // "-w, --workers INT|auto"
 * ```
 */
export function flagSpelling(setting: Setting<string, unknown>): string {
  if (setting.positional) return setting.name.toUpperCase();
  const long = setting.boolean
    ? `--[no-]${flagName(setting.name)}`
    : `--${flagName(setting.name)} ${setting.meta ?? "VALUE"}`;
  return setting.short ? `-${setting.short}, ${long}` : `    ${long}`;
}

function describeSetting(
  setting: Setting<string, unknown>,
  options: { prefix: string; width: number },
): string[] {
  const facts = [
    ...(setting.env !== false ? [`env: ${envName(setting.name, options.prefix)}`] : []),
    // The prefix in use is the default of this program (a serve() config may set its own).
    `default: ${setting.name === "env_prefix" ? options.prefix : describeDefault(setting)}`,
    ...(setting.repeatable ? ["repeatable"] : []),
  ];
  // Backticks are Markdown for the docs page; on a terminal they are noise.
  const doc = `${setting.doc.replaceAll("`", "")} [${facts.join("; ")}]`;
  return [`  ${flagSpelling(setting)}`, ...wrap(doc, options.width - 8).map((l) => `        ${l}`)];
}

function sections(): Map<string, Setting<string, unknown>[]> {
  const grouped = new Map<string, Setting<string, unknown>[]>();
  for (const setting of SETTINGS) {
    if (setting.cli === false) continue;
    const list = grouped.get(setting.section) ?? [];
    list.push(setting);
    grouped.set(setting.section, list);
  }
  return grouped;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}
