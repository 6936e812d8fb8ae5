/**
 * Development auto-reload: which paths to watch and which changes to
 * ignore (pure), and a debounced `Deno.watchFs` behind one function. The
 * watcher only reports; the caller queues an event and the arbiter does the
 * same rolling reload as HUP (a watcher, like a signal listener, never acts).
 *
 * @example
 * ```ts
 * import { reloadWatchPlan, watchFiles } from "./file_watch.ts";
 * const plan = reloadWatchPlan(
 *   { app: "app.ts", reload_extra_files: [], access_log: "-", error_log: "-" },
 *   { cwd: Deno.cwd(), configPath: null },
 * );
 * using _watch = watchFiles(plan, (paths) => console.log("changed:", paths));
 * ```
 *
 * @module
 */
import { dirname, isAbsolute, resolve, sep as SEPARATOR } from "node:path";
import type { Settings } from "../settings/table.ts";
import { pathExists } from "../platform/path_exists.ts";

/** How long the tree must be quiet before a batch of changes is reported. */
const DEBOUNCE_MS = 200;

/** Directory names whose contents never trigger a reload, at any depth. */
const IGNORED_DIRS = [".git", "node_modules"];

/** Editor scratch files (vim's swap files and its `4913` write probe, backups ending in ~). */
const SCRATCH = /(\.sw[px]|~|^4913)$/;

/**
 * What counts as source in the app's directory: modules, JSON (deno.json, import maps) and
 * `.env`. Anything else there (a log redirected by the shell, an upload) must not reload the
 * app, let alone in a loop; `reload_extra_files` lists any other file that should.
 */
const SOURCE = /\.([cm]?[jt]sx?|jsonc?|wasm)$|(^|\/)\.env$/;

/** What to watch and what to ignore, as absolute paths. */
export interface WatchPlan {
  /** Directories (watched recursively) and files. */
  roots: string[];
  /** Directories whose whole subtree is ignored (e.g. the app's `logs/`). */
  ignoredTrees: string[];
  /** Files ignored (the log files, which change on every request). */
  ignoredFiles: string[];
  /** Roots where any file counts (config.ts, `reload_extra_files`); elsewhere only source. */
  anyFile: string[];
}

/** The settings {@linkcode reloadWatchPlan} reads. */
export type WatchSettings = Pick<
  Settings,
  "app" | "reload_extra_files" | "access_log" | "error_log"
>;

/**
 * Pure: the app's directory and its project's (their source files: modules,
 * `deno.json`, `.env`), config.ts and `reload_extra_files` (any file) are
 * watched; `.git`, `node_modules`, their `logs/` and the log files are not.
 *
 * @example
 * ```ts
 * import { reloadWatchPlan } from "./file_watch.ts";
 * reloadWatchPlan(
 *   { app: "src/app.ts", reload_extra_files: ["static"], access_log: "logs/a.log", error_log: "-" },
 *   { cwd: "/srv", configPath: null },
 * );
 * // { roots: ["/srv/src", "/srv/static"], ignoredTrees: ["/srv/src/logs"],
 * //   ignoredFiles: ["/srv/logs/a.log"], anyFile: ["/srv/static"] }
 * ```
 */
export function reloadWatchPlan(
  settings: WatchSettings,
  context: { cwd: string; configPath: string | null; projectDir?: string | null },
): WatchPlan {
  const absolute = (p: string) => (isAbsolute(p) ? p : resolve(context.cwd, p));
  const appDir = settings.app === null ? null : dirname(absolute(settings.app));
  // The app's project (see app_project.ts): its modules import each other across it.
  const sourceTrees = [appDir, context.projectDir ?? null].filter((d): d is string => d !== null);
  const anyFile = [
    ...(context.configPath === null ? [] : [context.configPath]),
    ...settings.reload_extra_files.map(absolute),
  ];
  const roots = [...sourceTrees, ...anyFile];
  const logs = [settings.access_log, settings.error_log]
    .filter((p): p is string => p !== null && p !== "-")
    .map(absolute);
  return {
    roots: [...new Set(roots)].filter((p) => !roots.some((r) => isInside(p, r) && r !== p)),
    ignoredTrees: [...new Set(sourceTrees.map((dir) => resolve(dir, "logs")))],
    ignoredFiles: logs,
    anyFile,
  };
}

/**
 * Pure: true when a change to `path` must not trigger a reload.
 *
 * @example
 * ```ts
 * import { isIgnored } from "./file_watch.ts";
 * const plan = { roots: ["/srv"], ignoredTrees: ["/srv/logs"], ignoredFiles: [], anyFile: [] };
 * isIgnored("/srv/node_modules/x/index.js", plan); // true
 * isIgnored("/srv/out.txt", plan); // true: not source
 * isIgnored("/srv/app.ts", plan); // false
 * ```
 */
export function isIgnored(path: string, plan: WatchPlan): boolean {
  const parts = path.split(SEPARATOR);
  if (parts.some((part) => IGNORED_DIRS.includes(part))) return true;
  if (SCRATCH.test(parts.at(-1) ?? "")) return true;
  if (plan.ignoredFiles.includes(path)) return true;
  if (plan.ignoredTrees.some((tree) => isInside(path, tree))) return true;
  return !SOURCE.test(path) && !plan.anyFile.some((root) => isInside(path, root));
}

/**
 * Watches `plan.roots` and calls `onChange` with the changed paths once the
 * tree has been quiet for {@linkcode DEBOUNCE_MS} (an editor's save is often
 * several events). Roots that do not exist are skipped. Dispose to stop.
 *
 * @example
 * ```ts
 * import { watchFiles } from "./file_watch.ts";
 * using _watch = watchFiles(
 *   { roots: [Deno.cwd()], ignoredTrees: [], ignoredFiles: [], anyFile: [] },
 *   (paths) => console.log(paths),
 * );
 * ```
 */
export function watchFiles(plan: WatchPlan, onChange: (paths: string[]) => void): Disposable {
  const roots = plan.roots.filter((root) => pathExists(root));
  if (roots.length === 0) return { [Symbol.dispose]() {} };
  const watcher = Deno.watchFs(roots, { recursive: true });
  const pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    const paths = [...pending];
    pending.clear();
    onChange(paths);
  };
  (async () => {
    for await (const event of watcher) {
      // "access" is a read or a close; the write itself arrives as "modify".
      if (event.kind === "access") continue;
      const relevant = event.paths.filter((p) => !isIgnored(p, plan));
      if (relevant.length === 0) continue;
      for (const p of relevant) pending.add(p);
      clearTimeout(timer);
      timer = setTimeout(flush, DEBOUNCE_MS);
    }
  })().catch(() => {
    // The watcher was closed while an event was pending: nothing to report.
  });
  return {
    [Symbol.dispose]() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(SEPARATOR) ? dir : dir + SEPARATOR);
}
