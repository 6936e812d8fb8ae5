/**
 * Settings of the section "Development": reloading the workers when the
 * app's files change. Off unless asked for; a warning says so when it is on
 * under the production profile.
 *
 * @example
 * ```ts
 * import { developmentSettings } from "./development.ts";
 * developmentSettings.map((s) => s.name); // ["reload", "reload_extra_files"]
 * ```
 *
 * @module
 */
import { defineSetting } from "../setting.ts";
import { bool, list, text } from "../coerce.ts";

const SECTION = "Development";

/** The settings of this section, in documentation order. */
export const developmentSettings = [
  defineSetting({
    name: "reload",
    section: SECTION,
    boolean: true,
    parse: bool(),
    default: false,
    doc:
      "Watch the app's source files (`.ts`, `.js`, `.json`, ...; recursively, not in `.git`, `node_modules` or `logs/`) and config.ts, and do a rolling reload, as HUP does, when one changes. For development.",
  }),
  defineSetting({
    name: "reload_extra_files",
    section: SECTION,
    meta: "PATH",
    repeatable: true,
    parse: list(text({ accepted: "a file or directory path" })),
    default: [] as string[],
    doc: "More files or directories whose changes trigger a reload when `reload` is on.",
  }),
] as const;
