/**
 * Which Deno configuration a worker runs with in script mode: the app's
 * project's, as `deno serve app.ts` would use it.
 *
 * Deno looks for `deno.json` from the directory of the main module, and a
 * worker's main module is Herd's own `src/worker/entry.ts`. Left alone, an
 * app of another project would be run with Herd's configuration: its
 * `imports` (`import { Hono } from "hono"`), `compilerOptions` and lockfile
 * would not apply, and its dependencies would be written into Herd's
 * `deno.lock` (or, Herd being installed read-only, fail with "Failed writing
 * lockfile"). So the worker is given `--config` with the `deno.json` (or
 * `deno.jsonc`) nearest the app, looking up from its directory, or
 * `--no-config` when there is none, as for a single-file script. That
 * file's directory is the app's project: its workers may read it (its
 * modules import each other across it), and `reload` watches its sources.
 *
 * A `package.json` alone cannot be passed as `--config`: a project that has
 * one and no `deno.json` gets `--no-config`, and {@linkcode AppProject}
 * says so, for the error an unresolved import then gets.
 *
 * @example
 * ```ts
 * import { appProject } from "./app_project.ts";
 * appProject("/srv/site/src/app.ts").flags; // ["--config", "/srv/site/deno.json"] when it is there
 * ```
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hasScheme } from "../platform/file_url.ts";

/** The configuration flags of an app's workers, and what they were chosen from. */
export interface AppProject {
  /** `["--config", PATH]`, `["--no-config"]`, or none (Herd's own configuration). */
  flags: string[];
  /** The `deno.json` or `deno.jsonc` given as `--config`, or null. */
  configFile: string | null;
  /**
   * The directory of a `package.json` found nearer the app than any `deno.json`, or null:
   * its dependencies do not reach the workers without a `deno.json` beside it.
   */
  packageJsonOnly: string | null;
}

/** Config file names Deno discovers, in the order it prefers them. */
const CONFIG_NAMES = ["deno.json", "deno.jsonc"] as const;

/**
 * The configuration an app at `app` (a file path, absolute or relative to
 * `cwd`) runs with: the nearest `deno.json` or `deno.jsonc` from its
 * directory up to `/`. `app` null (the embedded default app, part of Herd)
 * keeps Herd's own configuration. A remote app (`https:`) is looked up from
 * `cwd`, as Deno does for a remote main module.
 *
 * @example
 * ```ts
 * import { appProject } from "./app_project.ts";
 * const files = new Set(["/srv/site/deno.json"]);
 * appProject("/srv/site/src/app.ts", { isFile: (p) => files.has(p) });
 * // { flags: ["--config", "/srv/site/deno.json"], configFile: "/srv/site/deno.json", packageJsonOnly: null }
 * appProject("/tmp/hello.ts", { isFile: () => false });
 * // { flags: ["--no-config"], configFile: null, packageJsonOnly: null }
 * ```
 */
export function appProject(
  app: string | null,
  options: { cwd?: string; isFile?: (path: string) => boolean } = {},
): AppProject {
  if (app === null) return { flags: [], configFile: null, packageJsonOnly: null };
  const { cwd = Deno.cwd(), isFile = isRegularFile } = options;
  const remote = hasScheme(app) && !app.startsWith("file:");
  const path = app.startsWith("file:") ? fileURLToPath(app) : app;
  let dir = remote ? resolve(cwd) : dirname(resolve(cwd, path));
  let packageJsonOnly: string | null = null;
  for (;;) {
    for (const name of CONFIG_NAMES) {
      const config = join(dir, name);
      if (isFile(config)) {
        return { flags: ["--config", config], configFile: config, packageJsonOnly };
      }
    }
    if (packageJsonOnly === null && isFile(join(dir, "package.json"))) packageJsonOnly = dir;
    const parent = dirname(dir);
    if (parent === dir) return { flags: ["--no-config"], configFile: null, packageJsonOnly };
    dir = parent;
  }
}

function isRegularFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * The app's project directory: where the `deno.json` its workers run with is, or null.
 *
 * @example
 * ```ts
 * import { projectDirOf } from "./app_project.ts";
 * projectDirOf({ flags: [], configFile: "/srv/site/deno.json", packageJsonOnly: null }); // "/srv/site"
 * ```
 */
export function projectDirOf(project: AppProject): string | null {
  return project.configFile === null ? null : dirname(project.configFile);
}
